package fault

import (
	"errors"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/scratchnet/scratchnet/firewall"
	"github.com/scratchnet/scratchnet/internal/nsops"
)

// A faultTable is one nftables table of package firewall ([firewall.Make],
// [firewall.MakeIngressDrop]) that a fault made in one namespace. Faults do
// not add to a firewall.Table: those live as long as their node and fail
// the test themselves, while a fault's rules come and go with Apply and
// Heal, which return errors. A table of the fault's own makes the heal
// exact: deleting it removes every chain and rule of the fault and no one
// else's.
type faultTable struct {
	nsfd int // the fault's own reference to the namespace
	name string
}

// A tableJob makes one table of a fault in the namespace nsfd refers to.
type tableJob struct {
	nsfd int
	make func(nsfd int) (string, error)
}

// makeTables runs the jobs, each namespace's on a goroutine of its own:
// namespaces' nftables transactions are independent of one another. It
// returns the tables made, in the order of the jobs, and the first job's
// error, if any, by index; when a job fails, the tables the others made are
// deleted again.
func makeTables(jobs []tableJob) ([]*faultTable, int, error) {
	tables := make([]*faultTable, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for n, j := range jobs {
		wg.Go(func() {
			own, err := nsops.Dup(j.nsfd)
			if err != nil {
				errs[n] = err
				return
			}
			name, err := j.make(own)
			if err != nil {
				unix.Close(own)
				errs[n] = err
				return
			}
			tables[n] = &faultTable{nsfd: own, name: name}
		})
	}
	wg.Wait()
	for n, err := range errs {
		if err != nil {
			var made []*faultTable
			for _, ft := range tables {
				if ft != nil {
					made = append(made, ft)
				}
			}
			if derr := deleteTables(made); derr != nil {
				err = errors.Join(err, derr)
			}
			return nil, n, err
		}
	}
	return tables, -1, nil
}

// deleteTables deletes the tables that are still there, each namespace's
// on a goroutine of its own, and lets go of their namespaces. It returns
// the first error in the order of the tables.
func deleteTables(tables []*faultTable) error {
	errs := make([]error, len(tables))
	var wg sync.WaitGroup
	for n, ft := range tables {
		wg.Go(func() {
			defer unix.Close(ft.nsfd)
			errs[n] = firewall.Remove(ft.nsfd, ft.name)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
