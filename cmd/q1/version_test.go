package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionIsNeverEmpty(t *testing.T) {
	out, _, code := runCLI(t, "version")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("q1 version: exit %d, %q", code, out)
	}
	for _, tc := range []struct {
		info debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "devel-0123456789ab-dirty"},
		{debug.BuildInfo{}, "devel"},
	} {
		if got := buildVersion(&tc.info); got != tc.want {
			t.Errorf("buildVersion(%+v) = %q, want %q", tc.info.Main, got, tc.want)
		}
	}
}
