package xenstore_test

import (
	"context"
	"fmt"
	"strconv"

	"github.com/xenbind/xenbind/runtime/xenstore"
	"github.com/xenbind/xenbind/runtime/xenstore/xenstoretest"
)

// Increment a counter in a transaction: if another writer changes it
// between the read and the commit, xenstored answers EAGAIN and
// Transaction runs the function again. In dom0, xenstore.Dial() connects
// to the real xenstored; the in-memory one stands in here.
func Example() {
	ctx := context.Background()
	srv := xenstoretest.NewServer()
	c := srv.Dial() // xenstore.Dial() in dom0
	defer c.Close()

	c.Write(ctx, "/tool/counter", []byte("41"))
	_, err := c.Transaction(ctx, func(tx *xenstore.Tx) error {
		v, err := tx.Read(ctx, "/tool/counter")
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(v))
		return tx.Write(ctx, "/tool/counter", []byte(strconv.Itoa(n+1)))
	})
	v, _ := c.Read(ctx, "/tool/counter")
	fmt.Println(string(v), err)
	// Output: 42 <nil>
}
