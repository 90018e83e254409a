package fuel

import "errors"

var (
	errLEBTruncated = errors.New("truncated LEB128 number")
	errLEBTooLong   = errors.New("LEB128 number too long")
)

// reader reads a module or a function body. off is the offset of b[0]
// within the whole module, so errors name positions in the module.
type reader struct {
	b   []byte
	pos int
	off int
}

// at returns the module offset of the next byte.
func (r *reader) at() int { return r.off + r.pos }

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errors.New("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, errors.New("unexpected end")
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// u32 reads an unsigned LEB128 number of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// uleb reads an unsigned LEB128 number of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits+7 || shift >= 70 {
			return 0, errLEBTooLong
		}
		c, err := r.byte()
		if err != nil {
			return 0, errLEBTruncated
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

// skipLEB skips a signed or unsigned LEB128 number of at most bits bits.
func (r *reader) skipLEB(bits uint) error {
	for n := uint(0); ; n += 7 {
		if n >= bits+7 || n >= 70 {
			return errLEBTooLong
		}
		c, err := r.byte()
		if err != nil {
			return errLEBTruncated
		}
		if c&0x80 == 0 {
			return nil
		}
	}
}

// name reads a length-prefixed byte string.
func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(int(n))
	return string(b), err
}

func appendU32(b []byte, v uint32) []byte { return appendU64(b, uint64(v)) }

func appendU64(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
