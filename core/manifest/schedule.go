package manifest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Limits on schedules (docs/manifest.md "schedules" says why).
const (
	// MaxSchedules is the most schedules a manifest may list.
	MaxSchedules = 16
	// MinScheduleInterval is the shortest time between two ticks of one
	// schedule. A five-field cron expression cannot fire more often (its
	// finest field is the minute); @every is refused below it.
	MinScheduleInterval = time.Minute
	// MaxScheduleInterval is the longest @every accepted.
	MaxScheduleInterval = 24 * time.Hour
	// MaxCronLength is the longest cron expression accepted, in bytes.
	MaxCronLength = 128
)

// Schedule runs a request on one replica of the service at each tick of
// its cron expression (times in UTC).
type Schedule struct {
	Cron string // a cron expression in canonical spelling, see ParseCron
	Path string // the request path, a literal path some caller rule selects
}

// Cron is a parsed cron expression: the ticks of a schedule, in UTC.
type Cron struct {
	every time.Duration      // @every: ticks at the multiples of every since the Unix epoch
	spec  *cron.SpecSchedule // otherwise
}

// cronFields names the five fields of a standard cron expression.
var cronFields = []string{"minute", "hour", "day of month", "month", "day of week"}

// cronDescriptors are the named schedules accepted, as robfig/cron reads them.
var cronDescriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CanonicalCron returns the canonical spelling of a cron expression:
// fields separated by single spaces, and @every's duration in the
// manifest's canonical spelling. It does not validate.
func CanonicalCron(s string) string {
	f := strings.Fields(s)
	if len(f) == 2 && f[0] == "@every" {
		if d, err := ParseDuration(f[1]); err == nil {
			return "@every " + FormatDuration(d)
		}
	}
	return strings.Join(f, " ")
}

// ParseCron reads a cron expression: five fields (minute, hour, day of
// month, month, day of week) in the standard syntax (lists, ranges, steps,
// month and day names), a descriptor (@hourly, @daily, @midnight, @weekly,
// @monthly, @yearly, @annually), or "@every D" with D a duration of whole
// minutes from MinScheduleInterval to MaxScheduleInterval. Times are UTC;
// time zones (TZ=, CRON_TZ=) and a seconds field are refused. The errors
// name the field at fault. ParseCron is deterministic.
func ParseCron(s string) (c Cron, err error) {
	defer func() {
		if r := recover(); r != nil { // the parser faces the network through manifests
			c, err = Cron{}, fmt.Errorf("%q is not a cron expression", s)
		}
	}()
	if len(s) > MaxCronLength {
		return Cron{}, fmt.Errorf("is %d bytes long; at most %d are allowed", len(s), MaxCronLength)
	}
	f := strings.Fields(s)
	switch {
	case len(f) == 0:
		return Cron{}, fmt.Errorf("is empty; write five fields (minute hour day-of-month month day-of-week), such as \"*/5 * * * *\"")
	case strings.HasPrefix(f[0], "TZ=") || strings.HasPrefix(f[0], "CRON_TZ="):
		return Cron{}, fmt.Errorf("%q: time zones are not supported; schedules are in UTC", s)
	case f[0] == "@every":
		if len(f) != 2 {
			return Cron{}, fmt.Errorf("%q: write @every and one duration, such as @every 5m", s)
		}
		d, err := ParseDuration(f[1])
		switch {
		case err != nil:
			return Cron{}, fmt.Errorf("@every: %v", err)
		case d < MinScheduleInterval:
			return Cron{}, fmt.Errorf("@every %s is more often than once every %s, the most a schedule may run",
				f[1], FormatDuration(MinScheduleInterval))
		case d > MaxScheduleInterval:
			return Cron{}, fmt.Errorf("@every %s is longer than %s; use a cron expression such as \"0 3 * * 1\"",
				f[1], FormatDuration(MaxScheduleInterval))
		case d%time.Minute != 0:
			return Cron{}, fmt.Errorf("@every %s: write a whole number of minutes", f[1])
		}
		return Cron{every: d}, nil
	case strings.HasPrefix(f[0], "@"):
		if len(f) != 1 || !slices.Contains(cronDescriptors, f[0]) {
			return Cron{}, fmt.Errorf("%q is not a known descriptor; use one of %s, or @every D",
				s, strings.Join(cronDescriptors, ", "))
		}
		sch, err := cronParser.Parse(f[0])
		if err != nil {
			return Cron{}, fmt.Errorf("%q: %v", s, err)
		}
		return fromSpec(s, sch)
	case len(f) != 5:
		return Cron{}, fmt.Errorf("%q has %d fields; write five (minute hour day-of-month month day-of-week), such as \"*/5 * * * *\"", s, len(f))
	}
	// Parse each field alone first, so the error names it.
	for i, name := range cronFields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f[i]
		if _, err := cronParser.Parse(strings.Join(probe, " ")); err != nil {
			return Cron{}, fmt.Errorf("field %d (%s) %q: %v", i+1, name, f[i], err)
		}
	}
	sch, err := cronParser.Parse(strings.Join(f, " "))
	if err != nil {
		return Cron{}, fmt.Errorf("%q: %v", s, err)
	}
	return fromSpec(s, sch)
}

func fromSpec(s string, sch cron.Schedule) (Cron, error) {
	spec, ok := sch.(*cron.SpecSchedule)
	if !ok {
		return Cron{}, fmt.Errorf("%q is not a cron expression", s)
	}
	spec.Location = time.UTC
	c := Cron{spec: spec}
	// A day that never comes (30 February) makes a schedule that never runs.
	if c.Next(time.Unix(0, 0)).IsZero() {
		return Cron{}, fmt.Errorf("%q never fires (no such date)", s)
	}
	return c, nil
}

// Next returns the first tick strictly after t, in UTC, or the zero time
// when there is none within five years.
func (c Cron) Next(t time.Time) time.Time {
	t = t.UTC()
	if c.every > 0 {
		d := int64(c.every / time.Second)
		return time.Unix((floorDiv(t.Unix(), d)+1)*d, 0).UTC()
	}
	if c.spec == nil {
		return time.Time{}
	}
	return c.spec.Next(t)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// checkSchedules validates the schedules: their number, each expression,
// each path (a literal path that a caller rule selects), and no duplicates.
func (m *Manifest) checkSchedules(v *validator) {
	const p = "schedules"
	if len(m.Schedules) > MaxSchedules {
		v.report(p, "lists %d schedules; at most %d are allowed", len(m.Schedules), MaxSchedules)
	}
	seen := map[Schedule]int{}
	for i, s := range m.Schedules {
		sp := index(p, i)
		if _, err := ParseCron(s.Cron); err != nil {
			v.report(sp+".cron", "%v", err)
		}
		switch err := validateSchedulePath(s.Path); {
		case err != nil:
			v.report(sp+".path", "%v", err)
		case v.callersFailed(len(m.Permissions.Callers)):
			// A route cannot be judged against broken caller rules.
		default:
			if _, ok := m.CallerRule(s.Path); !ok {
				v.report(sp+".path", "no rule in permissions.callers selects %s, so the service does not route it; "+
					"add a rule whose paths match it", s.Path)
			}
		}
		if first, dup := seen[s]; dup {
			v.report(sp, "repeats %s", index(p, first))
		} else {
			seen[s] = i
		}
	}
}

// validateSchedulePath checks a schedule's path: a path pattern without
// wildcards (no query string).
func validateSchedulePath(s string) error {
	if s == "" {
		return fmt.Errorf("is required: the path the scheduled request is sent to, such as /tasks/cleanup")
	}
	if strings.Contains(s, "*") {
		return fmt.Errorf("%q: a schedule's path is one path, not a pattern: remove the *", s)
	}
	if strings.ContainsAny(s, "?#") {
		return fmt.Errorf("%q: a schedule's path has no query string or fragment", s)
	}
	if err := ValidatePattern(s); err != nil {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), "path pattern", "path"))
	}
	return nil
}

// callersFailed reports whether the caller rules (n of them) failed to
// decode or were reported as invalid.
func (v *validator) callersFailed(n int) bool {
	const p = "permissions.callers"
	if v.skip(p) {
		return true
	}
	for i := range n {
		if v.skip(index(p, i)) {
			return true
		}
	}
	for _, pr := range v.probs {
		if isUnder(pr.Path, p) {
			return true
		}
	}
	return false
}
