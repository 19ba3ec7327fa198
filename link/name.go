package link

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	. "github.com/onsi/ginkgo/v2"
)

// MaxPrefixLen is the longest name prefix [RandomNifname] accepts: the kernel
// allows 15 characters in an interface name (IFNAMSIZ less the NUL), and four
// random characters keep collisions between parallel tests rare.
const MaxPrefixLen = 11

const nifnameLen = 15

const nameAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// RandomNifname returns prefix followed by random characters from [0-9a-zA-Z],
// exactly 15 characters in all. It fails the spec when prefix is empty,
// longer than [MaxPrefixLen] characters, or holds characters the kernel
// refuses in interface names ('/', ':', white space, control characters).
func RandomNifname(prefix string) string {
	GinkgoHelper()
	return RandomNifnameT(GinkgoTB(), prefix)
}

// RandomNifnameT is [RandomNifname] for plain testing users.
func RandomNifnameT(t testing.TB, prefix string) string {
	t.Helper()
	name, err := randomNifname(prefix)
	if err != nil {
		t.Fatalf("cannot create random network interface name with prefix %q, reason: %v", prefix, err)
	}
	return name
}

func randomNifname(prefix string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < nifnameLen {
		b.WriteByte(nameAlphabet[rand.IntN(len(nameAlphabet))])
	}
	return b.String(), nil
}

func checkPrefix(prefix string) error {
	switch {
	case prefix == "":
		return fmt.Errorf("prefix is empty")
	case len(prefix) > MaxPrefixLen:
		return fmt.Errorf("prefix is %d bytes long, at most %d are allowed", len(prefix), MaxPrefixLen)
	}
	for _, r := range prefix {
		if r == '/' || r == ':' || unicode.IsSpace(r) || !unicode.IsPrint(r) || r > unicode.MaxASCII {
			return fmt.Errorf("prefix contains %q, which interface names cannot hold", r)
		}
	}
	return nil
}
