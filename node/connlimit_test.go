package node

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestConnectionsCappedPerClient: a client holding its share of
// connections gets the next one closed at once, and a slot frees when one
// of its connections closes.
func TestConnectionsCappedPerClient(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitListener(raw, 100, 2)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }() // echo until the client closes
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	alive := func(c net.Conn) bool {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write([]byte("x")); err != nil {
			return false
		}
		b := make([]byte, 1)
		_, err := io.ReadFull(c, b)
		return err == nil
	}
	a, b := dial(), dial()
	if !alive(a) || !alive(b) {
		t.Fatal("the first two connections were refused")
	}
	if c := dial(); alive(c) {
		t.Fatal("a third connection from the same address was served")
	}
	a.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !alive(dial()) {
		if time.Now().After(deadline) {
			t.Fatal("no connection served after one of the two closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
