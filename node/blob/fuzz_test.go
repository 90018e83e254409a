package blob

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"testing/iotest"

	"github.com/quantum1net/q1/client/blobhash"
)

// FuzzStage stores arbitrary content under an arbitrary announced hash
// through a reader that may fail half way, as a hostile uploader or a peer
// would send it. It must never panic, never leave a temporary file, store
// exactly the bytes that hash to the announced hash, and refuse everything
// else with the error that says why.
//
//	go test -run '^$' -fuzz FuzzStage -fuzztime 60s ./node/blob
func FuzzStage(f *testing.F) {
	f.Add([]byte("a module"), []byte{}, false)
	good, half := blobhash.Sum([]byte("a module")), blobhash.Sum([]byte("half"))
	f.Add([]byte("a module"), good[:], false)
	f.Add(bytes.Repeat([]byte("x"), 5000), []byte{}, false)
	f.Add([]byte("half"), half[:], true)
	f.Add([]byte{}, make([]byte, 32), false)
	const limit = 4096
	alice := "q11qyfzm0abcdefghjkmnpqrstuvwxyz02345"
	f.Fuzz(func(t *testing.T, content, announced []byte, failHalfWay bool) {
		s := openTestStore(t, "", WithMaxSize(limit))
		var want blobhash.Hash
		if len(announced) == len(want) {
			copy(want[:], announced)
		}
		var src = bytes.NewReader(content)
		var r interface{ Read([]byte) (int, error) } = src
		if failHalfWay {
			r = iotest.TimeoutReader(iotest.HalfReader(src)) // a source that breaks off
		}
		h, size, err := s.Put(context.Background(), r, want, alice)
		if tmp := filesIn(t, s, tmpDir); len(tmp) != 0 {
			t.Fatalf("temporary files left: %v (err %v)", tmp, err)
		}
		actual := blobhash.Sum(content)
		switch {
		case err == nil:
			if h != actual || size != int64(len(content)) || len(content) > limit || (!want.IsZero() && want != actual) || failHalfWay && len(content) > 1 {
				t.Fatalf("stored %s (%d bytes) for %d bytes hashing to %s, announced %s", h, size, len(content), actual, want)
			}
			if !s.Has(actual) {
				t.Fatal("Put succeeded but the blob is not stored")
			}
		case len(content) > limit && !failHalfWay:
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over a %d limit: %v", len(content), limit, err)
			}
		case !want.IsZero() && want != actual && !failHalfWay:
			if !errors.Is(err, ErrHashMismatch) {
				t.Fatalf("content hashing to %s announced as %s: %v", actual, want, err)
			}
		case !failHalfWay:
			t.Fatalf("refused good content: %v", err)
		}
		if err != nil && s.Has(actual) {
			t.Fatal("refused content was stored")
		}
	})
}
