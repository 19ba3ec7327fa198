package firewall

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/internal/nsops"
	"github.com/scratchnet/scratchnet/link"
)

// The kernel features [SkipUnlessSupported] knows.
const (
	// Tables is nftables itself with filter chains and drop rules
	// (CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET; modules nfnetlink,
	// nf_tables).
	Tables = "nftables"
	// NAT is NAT chains with masquerade, source and destination NAT
	// (CONFIG_NFT_NAT, CONFIG_NFT_MASQ; modules nf_nat, nft_chain_nat,
	// nft_nat, nft_masq, nf_conntrack).
	NAT = "nftables-nat"
	// RejectRules is the reject expression (CONFIG_NFT_REJECT,
	// CONFIG_NFT_REJECT_INET; modules nft_reject, nft_reject_inet,
	// nf_reject_ipv4, nf_reject_ipv6).
	RejectRules = "nftables-reject"
	// Rewrite is rewriting packet headers (nftables payload statements),
	// which [Cut] needs. Recent kernels (6.18, Debian's 7.2; not Debian's
	// 5.10, 6.1 or 6.12) refuse it (EPERM) to a network namespace
	// owned by a user namespace other than the initial one, as in the
	// rootless sandbox.
	Rewrite = "nftables-rewrite"
)

// SkipUnlessSupported skips the current spec, saying that the kernel does not
// support the feature ([Tables], [NAT], [RejectRules] or [Rewrite]), unless
// the kernel can make such rules; [Rewrite] in a user namespace other than
// the initial one skips as a missing privilege, whatever the environment
// requires. It probes in a throw-away network namespace and
// remembers only conclusive answers. If the feature is listed in the
// environment variable named by [link.RequireKindsEnv] (or it holds "all"),
// a missing feature fails the spec instead.
func SkipUnlessSupported(feature string) {
	GinkgoHelper()
	SkipUnlessSupportedT(GinkgoTB(), feature)
}

// SkipUnlessSupportedT is [SkipUnlessSupported] for plain testing users.
func SkipUnlessSupportedT(t testing.TB, feature string) {
	t.Helper()
	if !slices.Contains([]string{Tables, NAT, RejectRules, Rewrite}, feature) {
		t.Fatalf("cannot probe kernel support for %q, reason: the features are %q, %q, %q and %q", feature, Tables, NAT, RejectRules, Rewrite)
	}
	supported, err := probe(feature)
	if err != nil {
		t.Fatalf("cannot probe kernel support for %s, reason: %v", feature, err)
	}
	if supported {
		return
	}
	if feature == Rewrite && nsops.InUserNamespace() {
		// A privilege the user namespace lacks, not a kernel feature:
		// no kernel permits it there.
		t.Skipf("needs root in the initial user namespace: %v", unsupported(feature))
	}
	link.SkipUnsupportedT(t, feature, feature, unsupported(feature))
}

var probes link.ProbeCache // by feature

func probe(feature string) (bool, error) {
	return probes.Get(feature, func() (bool, error) {
		err := probeOnce(feature)
		if err != nil && !unsupportedErr(err) && !(feature == Rewrite && errors.Is(err, unix.EPERM)) {
			return false, err
		}
		return err == nil, nil
	})
}

// probeOnce makes, in a throw-away namespace, a table with the chain and
// rule the feature stands for.
func probeOnce(feature string) error {
	nsfd, err := nsops.Unshare()
	if err != nil {
		return err
	}
	defer unix.Close(nsfd)
	c, err := conn(nsfd)
	if err != nil {
		return err
	}
	defer release(c)
	// Without nf_tables, a request outside a batch fails with EINVAL
	// (nfnetlink knows no such subsystem), while a batch gets one error
	// for all its messages.
	if _, err := c.ListTables(); errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("no nf_tables subsystem: %w", unix.EOPNOTSUPP)
	} else if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Name: "probe", Family: nftables.TableFamilyINet})
	var r Rule
	switch feature {
	case Tables:
		r = Drop(TCP(9))
	case NAT:
		r = Masquerade("probe")
	case Rewrite:
		r = Cut(TCP(9))[2]
	default:
		r = Reject(UDP(9))
	}
	ex, err := r.exprs()
	if err != nil {
		return err
	}
	c.AddRule(&nftables.Rule{Table: t, Chain: c.AddChain(r.chains[0].chain(t)), Exprs: ex})
	return c.Flush()
}

// unsupportedErr tells whether err is the kernel's way of saying it lacks
// nfnetlink, nf_tables, or a chain type or expression of it.
func unsupportedErr(err error) bool {
	for _, e := range []error{unix.ENOENT, unix.EOPNOTSUPP, unix.EPROTONOSUPPORT, unix.EAFNOSUPPORT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func unsupported(feature string) error {
	if feature == Rewrite && nsops.InUserNamespace() {
		return fmt.Errorf("kernel does not permit %s in this user namespace, only to the initial one's root", feature)
	}
	if nsops.InUserNamespace() {
		return fmt.Errorf("kernel does not support %s in this user namespace (if it comes in modules, load them on the host first)", feature)
	}
	return fmt.Errorf("kernel does not support %s", feature)
}
