package scope_test

import (
	"fmt"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scratchnet/scratchnet/guard"
	"github.com/scratchnet/scratchnet/internal/scope"
	"github.com/scratchnet/scratchnet/internal/testsupport"
)

func TestScope(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scope package")
}

var _ = guard.Suite()

var _ = Describe("cleanup scopes", func() {

	It("runs the before-teardown hooks once, before the first of the scope's cleanups", func() {
		var order []string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			sc := scope.Of(t)
			sc.Cleanup(t, func() { order = append(order, "first registered") })
			sc.BeforeTeardown(func() { order = append(order, "report") })
			t.Cleanup(func() { order = append(order, "user's own") })
			scope.Of(t).Cleanup(t, func() { order = append(order, "last registered") })
		})
		Expect(order).To(Equal([]string{"report", "last registered", "user's own", "first registered"}))
	})

	It("shares one scope among the calls of one test, and not with another test", func() {
		var same, other bool
		outer := &testsupport.Recorder{}
		outer.Run(func(t testing.TB) {
			first, second := scope.Of(t), scope.Of(t)
			same = first == second
			inner := &testsupport.Recorder{}
			inner.Run(func(u testing.TB) { other = scope.Of(u) == scope.Of(t) })
		})
		Expect(same).To(BeTrue())
		Expect(other).To(BeFalse())
	})

	It("tells that a namespace dies with the scope only while it owns it, it is open and nothing else holds it", func() {
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			sc := scope.Of(t)
			Expect(sc.Dies()).To(BeFalse(), "no namespace at all")
			Expect(sc.Dies(1001)).To(BeFalse(), "a namespace it does not own")
			closing := sc.Own(1001)
			Expect(sc.Dies(1001)).To(BeTrue())
			Expect(sc.Dies(1001, 1002)).To(BeFalse(), "one of them not owned")

			holder := &testsupport.Recorder{}
			holder.Run(func(h testing.TB) {
				release := scope.Hold(scope.Of(h), 1001)
				Expect(sc.Dies(1001)).To(BeFalse(), "held by another scope")
				release()
				Expect(sc.Dies(1001)).To(BeTrue())
			})
			Expect(scope.Hold(sc, 1001)).NotTo(BeNil(), "a hold by its own scope")
			Expect(sc.Dies(1001)).To(BeTrue())

			closing()
			Expect(sc.Dies(1001)).To(BeFalse(), "closed already")
		})
		Expect(rec.Failures()).To(BeEmpty())
	})

	It("ends what was left to namespaces' teardown once, when the first of them is closed, saying whether it outlives them", func() {
		var ended []string
		rec := &testsupport.Recorder{}
		rec.Run(func(t testing.TB) {
			sc := scope.Of(t)
			closeA, closeB := sc.Own(2001), sc.Own(2002)
			Expect(sc.LeaveTo([]uint64{2001, 2003}, func(bool) { ended = append(ended, "never") })).
				To(BeFalse(), "one of them not owned")
			Expect(sc.LeaveTo(nil, func(bool) { ended = append(ended, "never") })).To(BeFalse(), "no namespace at all")
			Expect(sc.LeaveTo([]uint64{2001, 2002}, func(outlives bool) {
				ended = append(ended, fmt.Sprintf("both, outlives %v", outlives))
			})).To(BeTrue())
			Expect(sc.LeaveTo([]uint64{2002}, func(outlives bool) {
				ended = append(ended, fmt.Sprintf("second, outlives %v", outlives))
			})).To(BeTrue())
			holder := &testsupport.Recorder{}
			holder.Run(func(h testing.TB) {
				release := scope.Hold(scope.Of(h), 2001)
				Expect(sc.LeaveTo([]uint64{2001}, func(bool) { ended = append(ended, "never") })).
					To(BeFalse(), "held by another scope")
				closeB()
				release()
			})
			Expect(ended).To(Equal([]string{"second, outlives false", "both, outlives true"}))
			closeA()
			Expect(ended).To(HaveLen(2), "ended once")
		})
		Expect(rec.Failures()).To(BeEmpty())
	})

	Context("with Ginkgo", func() {
		var fromBeforeEach *scope.Scope

		BeforeEach(func() { fromBeforeEach = scope.Of(GinkgoTB()) })

		It("shares the spec's scope between BeforeEach and It", func() {
			Expect(scope.Of(GinkgoTB())).To(BeIdenticalTo(fromBeforeEach))
		})

		Context("in an Ordered container", Ordered, func() {
			var fromBeforeAll, again *scope.Scope

			BeforeAll(func() {
				fromBeforeAll, again = scope.Of(GinkgoTB()), scope.Of(GinkgoTB())
			})

			It("gives BeforeAll a scope of its own each time, which no spec shares", func() {
				Expect(fromBeforeAll).NotTo(BeIdenticalTo(again))
				Expect(scope.Of(GinkgoTB())).NotTo(BeIdenticalTo(fromBeforeAll))
			})
		})
	})
})
