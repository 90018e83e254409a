package manifest

import (
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		canon   string
		wantErr string
	}{
		{in: "0", want: 0, canon: "0"},
		{in: "64Mi", want: 64 << 20, canon: "64Mi"},
		{in: "1Ki", want: 1024, canon: "1Ki"},
		{in: "3Ti", want: 3 << 40, canon: "3Ti"},
		{in: "500k", want: 500_000, canon: "500k"},
		{in: "5M", want: 5_000_000, canon: "5M"},
		{in: "1G", want: 1_000_000_000, canon: "1G"},
		{in: "1536Mi", want: 1536 << 20, canon: "1536Mi"},
		{in: "1048576", want: 1 << 20, canon: "1Mi"},
		{in: "18446744073709551615", want: 1<<64 - 1, canon: "18446744073709551615"},
		{in: "16777216Ti", wantErr: `byte size "16777216Ti" is too large`},
		{in: "18446744073709551616", wantErr: `byte size "18446744073709551616" is too large`},
		{in: "64MB", wantErr: `invalid byte size "64MB": ` + byteSizeHint},
		{in: "64mi", wantErr: `invalid byte size "64mi": ` + byteSizeHint},
		{in: "1.5Gi", wantErr: `invalid byte size "1.5Gi": ` + byteSizeHint},
		{in: "Mi", wantErr: `invalid byte size "Mi": ` + byteSizeHint},
		{in: "064Mi", wantErr: `invalid byte size "064Mi": ` + byteSizeHint},
		{in: "-1", wantErr: `invalid byte size "-1": ` + byteSizeHint},
		{in: " 1Mi", wantErr: `invalid byte size " 1Mi": ` + byteSizeHint},
		{in: "", wantErr: `invalid byte size "": ` + byteSizeHint},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			checkQuantity(t, got, err, tt.want, tt.wantErr)
			if err == nil && got.String() != tt.canon {
				t.Errorf("String() = %q, want %q", got.String(), tt.canon)
			}
		})
	}
}

func TestParseMilliCPU(t *testing.T) {
	tests := []struct {
		in      string
		want    MilliCPU
		canon   string
		wantErr string
	}{
		{in: "500m", want: 500, canon: "500m"},
		{in: "1", want: 1000, canon: "1"},
		{in: "0.5", want: 500, canon: "500m"},
		{in: "0.25", want: 250, canon: "250m"},
		{in: "1.001", want: 1001, canon: "1001m"},
		{in: "2.500", want: 2500, canon: "2500m"},
		{in: "3000m", want: 3000, canon: "3"},
		{in: "0", want: 0, canon: "0m"},
		{in: "0.0005", wantErr: `invalid cpu "0.0005": ` + cpuHint},
		{in: ".5", wantErr: `invalid cpu ".5": ` + cpuHint},
		{in: "1.", wantErr: `invalid cpu "1.": ` + cpuHint},
		{in: "1e3", wantErr: `invalid cpu "1e3": ` + cpuHint},
		{in: "0.5m", wantErr: `invalid cpu "0.5m": ` + cpuHint},
		{in: "m", wantErr: `invalid cpu "m": ` + cpuHint},
		{in: "1.2.3", wantErr: `invalid cpu "1.2.3": ` + cpuHint},
		{in: "18446744073709552", wantErr: `cpu "18446744073709552" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMilliCPU(tt.in)
			checkQuantity(t, got, err, tt.want, tt.wantErr)
			if err == nil && got.String() != tt.canon {
				t.Errorf("String() = %q, want %q", got.String(), tt.canon)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		canon   string
		wantErr string
	}{
		{in: "2s", want: 2 * time.Second, canon: "2s"},
		{in: "500ms", want: 500 * time.Millisecond, canon: "500ms"},
		{in: "2000ms", want: 2 * time.Second, canon: "2s"},
		{in: "90s", want: 90 * time.Second, canon: "90s"},
		{in: "60m", want: time.Hour, canon: "1h"},
		{in: "0s", want: 0, canon: "0s"},
		{in: "1.5s", wantErr: `invalid duration "1.5s": ` + durationHint},
		{in: "1m30s", wantErr: `invalid duration "1m30s": ` + durationHint},
		{in: "2", wantErr: `invalid duration "2": ` + durationHint},
		{in: "2d", wantErr: `invalid duration "2d": ` + durationHint},
		{in: "3000000h", wantErr: `duration "3000000h" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			checkQuantity(t, got, err, tt.want, tt.wantErr)
			if err == nil && FormatDuration(got) != tt.canon {
				t.Errorf("FormatDuration = %q, want %q", FormatDuration(got), tt.canon)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    Amount
		qc      string
		wantErr string
	}{
		{in: "10uqc", want: 10, qc: "0.00001QC"},
		{in: "0uqc", want: 0, qc: "0QC"},
		{in: "5QC", want: 5_000_000, qc: "5QC"},
		{in: "0.25QC", want: 250_000, qc: "0.25QC"},
		{in: "1.000001QC", want: 1_000_001, qc: "1.000001QC"},
		{in: "1000QC", want: 1_000_000_000, qc: "1000QC"},
		{in: "18446744073709.551615QC", want: 1<<64 - 1, qc: "18446744073709.551615QC"},
		{in: "18446744073709.551616QC", wantErr: `amount "18446744073709.551616QC" is too large`},
		{in: "18446744073710QC", wantErr: `amount "18446744073710QC" is too large`},
		{in: "0.0000001QC", wantErr: `invalid amount "0.0000001QC": ` + amountHint},
		{in: "1.5uqc", wantErr: `invalid amount "1.5uqc": ` + amountHint},
		{in: "5qc", wantErr: `invalid amount "5qc": ` + amountHint},
		{in: "5", wantErr: `invalid amount "5": ` + amountHint},
		{in: "5 QC", wantErr: `invalid amount "5 QC": ` + amountHint},
		{in: "QC", wantErr: `invalid amount "QC": ` + amountHint},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			checkQuantity(t, got, err, tt.want, tt.wantErr)
			if err != nil {
				return
			}
			if back, err := ParseAmount(got.String()); err != nil || back != got {
				t.Errorf("String() = %q does not parse back: %v, %v", got.String(), back, err)
			}
			if got.QC() != tt.qc {
				t.Errorf("QC() = %q, want %q", got.QC(), tt.qc)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr string
	}{
		{in: "50/s", want: Rate{50, time.Second}},
		{in: "600/m", want: Rate{600, time.Minute}},
		{in: "1000/h", want: Rate{1000, time.Hour}},
		{in: "50/sec", wantErr: `invalid rate "50/sec": ` + rateHint},
		{in: "50", wantErr: `invalid rate "50": ` + rateHint},
		{in: "0.5/s", wantErr: `invalid rate "0.5/s": ` + rateHint},
		{in: "/s", wantErr: `invalid rate "/s": ` + rateHint},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			checkQuantity(t, got, err, tt.want, tt.wantErr)
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func checkQuantity[T comparable](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Errorf("error = %v, want %s", err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
}
