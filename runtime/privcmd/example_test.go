package privcmd_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/xenbind/xenbind/generated/xen"
	"github.com/xenbind/xenbind/runtime/privcmd"
)

// Open the privcmd device in dom0 and make a hypercall through a generated
// wrapper. Open's error says why when there is no device (not a Xen domain,
// xen-privcmd not loaded, or not Linux), no permission, or a 32-bit process
// on a 64-bit kernel.
func ExampleOpen() {
	dev, err := privcmd.Open()
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errors.ErrUnsupported):
		fmt.Println("no privcmd here:", err)
		return
	case err != nil:
		log.Fatal(err)
	}
	defer dev.Close()
	size, err := xen.XenverPagesize(dev)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Xen's page size:", size)
}
