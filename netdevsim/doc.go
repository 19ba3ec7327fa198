// Package netdevsim creates transient netdevsim devices: simulated hardware
// NICs with ports (each a network interface of type "device", like a real
// NIC's), RX/TX queues and SR-IOV VFs, for tests of code that looks for or
// configures real devices, such as macvlan.LocateHWParent.
//
// See docs/namespaces-and-links.md in the repository for the guide to
// namespaces and links.
//
//	BeforeEach(ensure.SkipUnlessNetdevsim)
//
//	It("finds a hardware parent", func() {
//	    ns := netns.NewTransient()
//	    _, ports := netdevsim.NewTransient(netdevsim.InNamespace(ns), netdevsim.WithPorts(2))
//	    // ports[0] and ports[1] are the device's two ports, in ns
//	})
//
// Devices are made through sysfs, not netlink: writing "<id> <ports>
// <queues>" to /sys/bus/netdevsim/new_device creates device netdevsim<id>,
// whose ports appear in the network namespace of the writing thread. So
// [NewTransient] writes from a thread inside the namespace [InNamespace]
// names, gives each port a random name starting with [NetdevsimPrefix], and
// removes the device (and with it its ports) at the end of the node that
// made it, through /sys/bus/netdevsim/del_device, unless it is gone by then
// or is no longer the device created.
//
// # Pitfalls
//
//   - The bus is global, not per network namespace: device IDs are shared by
//     all namespaces and all processes. Without [WithID], NewTransient picks
//     the lowest free ID and moves on to the next one when another process
//     took it in the meantime.
//   - Only root of the initial user namespace may write to the bus; a
//     rootless sandbox cannot create netdevsim devices, and the specs skip
//     there. The module must be loaded: see package [ensure].
//   - Ports start down, without carrier until they are linked ([Link], Linux
//     6.9 and later) on kernels that support linking.
package netdevsim
