package qc

import (
	"testing"

	sdkmath "cosmossdk.io/math"
)

func TestParseAmount(t *testing.T) {
	ok := []struct {
		in   string
		want int64
	}{
		{"25QC", 25_000_000},
		{"0.5QC", 500_000},
		{"2500uqc", 2500},
		{"1.000001QC", 1_000_001},
		{"0.000001QC", 1},
		{"7qc", 7_000_000},
		{" 3QC ", 3_000_000},
		{".5QC", 500_000},
	}
	for _, tc := range ok {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAmount(tc.in)
			if err != nil {
				t.Fatalf("ParseAmount(%q): %v", tc.in, err)
			}
			if !got.Equal(sdkmath.NewInt(tc.want)) {
				t.Fatalf("ParseAmount(%q) = %s, want %d", tc.in, got, tc.want)
			}
		})
	}

	bad := []struct{ in, msg string }{
		{"", "amount is empty: write it with a unit, e.g. 25QC, 0.5QC or 2500uqc"},
		{"0QC", `amount "0QC" is zero: send a positive amount`},
		{"0uqc", `amount "0uqc" is zero: send a positive amount`},
		{"-5QC", `amount "-5QC" is negative: amounts must be positive`},
		{"25", `amount "25" has no unit: write 25QC or 25uqc`},
		{"25XQ", `unknown unit "XQ" in amount "25XQ": use QC or uqc (e.g. 25QC, 0.5QC, 2500uqc)`},
		{"1.5uqc", `amount "1.5uqc" has decimals, but uqc is the smallest unit`},
		{"0.0000001QC", `amount "0.0000001QC" has more than 6 decimals; the smallest unit is 1uqc (0.000001QC)`},
		{"1.2.3QC", `amount "1.2.3QC" is not a number`},
		{"5.QC", `amount "5.QC" is not a number`},
		{"QC", `amount "QC" does not start with a number: write e.g. 25QC, 0.5QC or 2500uqc`},
		{"18446744073709551616uqc", `amount "18446744073709551616uqc" is too large: the most is 18446744073709.551615QC`},
		{"99999999999999999999999999999999999999999QC", `amount "99999999999999999999999999999999999999999QC" is too large: the most is 18446744073709.551615QC`},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.in, func(t *testing.T) {
			_, err := ParseAmount(tc.in)
			if err == nil {
				t.Fatalf("ParseAmount(%q) succeeded, want error %q", tc.in, tc.msg)
			}
			if err.Error() != tc.msg {
				t.Fatalf("ParseAmount(%q) error\n got: %s\nwant: %s", tc.in, err, tc.msg)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0QC"}, {1, "0.000001QC"}, {500_000, "0.5QC"}, {3_000_000, "3QC"},
		{1_234_567_890, "1234.56789QC"}, {-2_500_000, "-2.5QC"},
	} {
		if got := Format(sdkmath.NewInt(tc.in)); got != tc.want {
			t.Errorf("Format(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range []int64{1, 999_999, 1_000_000, 123_456_789_012} {
		s := Format(sdkmath.NewInt(v))
		got, err := ParseAmount(s)
		if err != nil || !got.Equal(sdkmath.NewInt(v)) {
			t.Fatalf("round trip %d → %q → %v, %v", v, s, got, err)
		}
	}
}
