package diag

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// volatileFields are expression fields that count traffic: a rule's text
// must not change when packets pass.
var volatileFields = map[string]bool{"Bytes": true, "Packets": true, "Consumed": true}

// RuleExprText renders the expressions of an nftables rule as one line,
// each as its kind followed by its set fields ("payload base=network
// offset=12 len=4 dreg=1", "cmp op=eq sreg=1 data=0a000001"), verdicts as
// nft names them ("accept", "jump helper") and counters without their
// counts, so the text names what the rule does and nothing that traffic
// changes.
func RuleExprText(r *nftables.Rule) string {
	parts := make([]string, 0, len(r.Exprs))
	for _, e := range r.Exprs {
		parts = append(parts, exprText(e))
	}
	return strings.Join(parts, " ")
}

func exprText(e expr.Any) string {
	if v, ok := e.(*expr.Verdict); ok {
		return verdictText(v)
	}
	v := reflect.Indirect(reflect.ValueOf(e))
	if v.Kind() != reflect.Struct {
		return fmt.Sprint(e)
	}
	s := strings.ToLower(v.Type().Name())
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		fv := v.Field(i)
		if !f.IsExported() || volatileFields[f.Name] || fv.IsZero() {
			continue
		}
		s += " " + strings.ToLower(f.Name) + "=" + valueText(fv)
	}
	return s
}

func valueText(v reflect.Value) string {
	switch {
	case v.Kind() == reflect.Pointer:
		return valueText(v.Elem())
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return hex.EncodeToString(v.Bytes())
	}
	return fmt.Sprint(v.Interface())
}

func verdictText(v *expr.Verdict) string {
	switch v.Kind {
	case expr.VerdictAccept:
		return "accept"
	case expr.VerdictDrop:
		return "drop"
	case expr.VerdictContinue:
		return "continue"
	case expr.VerdictReturn:
		return "return"
	case expr.VerdictJump:
		return "jump " + v.Chain
	case expr.VerdictGoto:
		return "goto " + v.Chain
	case expr.VerdictQueue:
		return "queue"
	case expr.VerdictStop:
		return "stop"
	case expr.VerdictBreak:
		return "break"
	}
	return fmt.Sprintf("verdict %d", v.Kind)
}
