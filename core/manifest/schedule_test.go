package manifest

import (
	"strings"
	"testing"
	"time"
)

// scheduleDoc is a small valid manifest whose schedules are replaced by
// each case.
const scheduleDoc = `apiVersion: q1/v1
name: cron
code: {wasm: ` + wasmHash + `}
permissions:
  owners: {accounts: [` + acct1 + `]}
  callers:
    - {paths: ["/tasks/*"], allow: [` + acct1 + `]}
    - {paths: ["/public"], allow: public}
resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
`

func TestSchedulesParse(t *testing.T) {
	m := mustParse(t, scheduleDoc+`schedules:
  - {cron: "*/5   *  * * *", path: /tasks/cleanup}
  - {cron: "@every 60m", path: /public}
  - {cron: "@daily", path: /tasks/nightly}
  - {cron: "0 3 * JAN-MAR mon-fri", path: /tasks/q1}
`)
	want := []Schedule{
		{Cron: "*/5 * * * *", Path: "/tasks/cleanup"},
		{Cron: "@every 1h", Path: "/public"},
		{Cron: "@daily", Path: "/tasks/nightly"},
		{Cron: "0 3 * JAN-MAR mon-fri", Path: "/tasks/q1"},
	}
	if len(m.Schedules) != len(want) {
		t.Fatalf("schedules: %+v", m.Schedules)
	}
	for i := range want {
		if m.Schedules[i] != want[i] {
			t.Errorf("schedules[%d] = %+v, want %+v", i, m.Schedules[i], want[i])
		}
	}
	// The canonical bytes keep the list in order, in canonical spelling,
	// and parse back to the same manifest.
	b := m.Canonical()
	if !strings.Contains(string(b), `"schedules":[{"cron":"*/5 * * * *","path":"/tasks/cleanup"},{"cron":"@every 1h","path":"/public"}`) {
		t.Errorf("canonical: %s", b)
	}
	if sum := m.Summary(); !strings.Contains(sum, `  schedules:    [0] "*/5 * * * *" POST /tasks/cleanup; [1] "@every 1h" POST /public; [2] "@daily" POST /tasks/nightly;`) {
		t.Errorf("summary:\n%s", sum)
	}
	back, err := ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != m.Hash() {
		t.Error("hash changed through canonical bytes")
	}
}

// TestNoSchedulesKeepsBytes: a manifest without schedules encodes as before
// schedules existed, so stored manifests keep their hashes.
func TestNoSchedulesKeepsBytes(t *testing.T) {
	m := mustParse(t, scheduleDoc)
	if strings.Contains(string(m.Canonical()), "schedules") {
		t.Errorf("canonical bytes mention schedules: %s", m.Canonical())
	}
	m2 := mustParse(t, scheduleDoc+"schedules: []\n")
	if m2.Hash() != m.Hash() {
		t.Error("an empty schedules list changes the hash")
	}
}

func TestScheduleProblems(t *testing.T) {
	many := "schedules:\n"
	for i := range MaxSchedules + 1 {
		many += "  - {cron: \"" + string(rune('0'+i%10)) + " * * * *\", path: /tasks/t" + string(rune('a'+i)) + "}\n"
	}
	cases := []struct{ name, schedules, want string }{
		{"bad minute field", `[{cron: "*/5 * * * *", path: /public}, {cron: "61 * * * *", path: /public}]`,
			`schedules[1].cron: field 1 (minute) "61": end of range (61) above maximum (59): 61`},
		{"bad day of week", `[{cron: "0 0 * * funday", path: /public}]`,
			`schedules[0].cron: field 5 (day of week) "funday"`},
		{"bad hour step", `[{cron: "0 */0 * * *", path: /public}]`,
			`schedules[0].cron: field 2 (hour) "*/0"`},
		{"four fields", `[{cron: "* * * *", path: /public}]`,
			`schedules[0].cron: "* * * *" has 4 fields; write five`},
		{"six fields (seconds)", `[{cron: "*/10 * * * * *", path: /public}]`,
			`schedules[0].cron: "*/10 * * * * *" has 6 fields`},
		{"empty", `[{cron: "", path: /public}]`, `schedules[0].cron: is empty`},
		{"every too often", `[{cron: "@every 10s", path: /public}]`,
			`schedules[0].cron: @every 10s is more often than once every 1m, the most a schedule may run`},
		{"every not minutes", `[{cron: "@every 90s", path: /public}]`,
			`schedules[0].cron: @every 90s: write a whole number of minutes`},
		{"every too long", `[{cron: "@every 25h", path: /public}]`, `schedules[0].cron: @every 25h is longer than 24h`},
		{"every go syntax", `[{cron: "@every 1h30m", path: /public}]`, `schedules[0].cron: @every: `},
		{"time zone", `[{cron: "TZ=Europe/Paris 0 3 * * *", path: /public}]`,
			`schedules[0].cron: "TZ=Europe/Paris 0 3 * * *": time zones are not supported; schedules are in UTC`},
		{"cron time zone", `[{cron: "CRON_TZ=Local 0 3 * * *", path: /public}]`, `time zones are not supported`},
		{"unknown descriptor", `[{cron: "@reboot", path: /public}]`, `schedules[0].cron: "@reboot" is not a known descriptor`},
		{"never fires", `[{cron: "0 0 30 2 *", path: /public}]`, `schedules[0].cron: "0 0 30 2 *" never fires`},
		{"too long", `[{cron: "` + strings.Repeat("1,", 100) + `1 * * * *", path: /public}]`, `bytes long; at most 128 are allowed`},
		{"path not routed", `[{cron: "@hourly", path: /private}]`,
			`schedules[0].path: no rule in permissions.callers selects /private, so the service does not route it`},
		{"path wildcard", `[{cron: "@hourly", path: "/tasks/*"}]`, `schedules[0].path: "/tasks/*": a schedule's path is one path, not a pattern`},
		{"path query", `[{cron: "@hourly", path: "/tasks/x?a=1"}]`, `schedules[0].path: "/tasks/x?a=1": a schedule's path has no query string`},
		{"path relative", `[{cron: "@hourly", path: tasks}]`, `schedules[0].path: path "tasks" must start with "/"`},
		{"path dotdot", `[{cron: "@hourly", path: /tasks/../public}]`, `schedules[0].path: path "/tasks/../public": segment ".." is not allowed`},
		{"path missing", `[{cron: "@hourly"}]`, `schedules[0].path: is required`},
		{"cron missing", `[{path: /public}]`, `schedules[0].cron: is required`},
		{"unknown field", `[{cron: "@hourly", path: /public, method: GET}]`, `schedules[0].method: unknown field`},
		{"duplicate", `[{cron: "@hourly", path: /public}, {cron: "@hourly", path: /public}]`, `schedules[1]: repeats schedules[0]`},
		{"not a list", `{cron: "@hourly", path: /public}`, `schedules: must be a list of schedules`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(scheduleDoc+"schedules: "+c.schedules+"\n"), ParseOptions{})
			if err == nil {
				t.Fatalf("accepted; want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got:\n%v\nwant a problem containing %q", err, c.want)
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		_, err := Parse([]byte(scheduleDoc+many), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), "schedules: lists 17 schedules; at most 16 are allowed") {
			t.Errorf("got %v", err)
		}
	})
}

// TestCronTicks checks Next: UTC whatever the local zone, @every aligned to
// the Unix epoch (so every node computes the same ticks), never sooner than
// a minute apart.
func TestCronTicks(t *testing.T) {
	at := time.Date(2026, 12, 7, 19, 58, 30, 0, time.FixedZone("X", 5*3600))
	for _, c := range []struct{ spec, want string }{
		{"*/5 * * * *", "2026-12-07T15:00:00Z"},
		{"@hourly", "2026-12-07T15:00:00Z"},
		{"@every 7m", "2026-12-07T15:04:00Z"}, // a multiple of 420 s since the epoch
		{"0 3 * * *", "2026-12-08T03:00:00Z"},
	} {
		cr, err := ParseCron(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := cr.Next(at).Format(time.RFC3339); got != c.want {
			t.Errorf("%s: Next = %s, want %s", c.spec, got, c.want)
		}
	}
	cr, _ := ParseCron("* * * * *")
	tick := cr.Next(at)
	for range 100 {
		next := cr.Next(tick)
		if next.Sub(tick) < MinScheduleInterval {
			t.Fatalf("ticks %s and %s are closer than %s", tick, next, MinScheduleInterval)
		}
		tick = next
	}
}

// FuzzParseCron: the parser faces the network; it must never panic and
// anything it accepts must tick at most once a minute.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"*/5 * * * *", "@every 1m", "0-59/1 0-23 1-31 1-12 0-6", "@yearly", "1,2,3 * * * MON", "*/0 * * * *", "TZ= x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCron(s)
		if err != nil {
			return
		}
		t0 := time.Unix(1_800_000_000, 0)
		a := c.Next(t0)
		b := c.Next(a)
		if !a.IsZero() && !b.IsZero() && b.Sub(a) < MinScheduleInterval {
			t.Fatalf("%q ticks at %s and %s", s, a, b)
		}
	})
}
