package dashboard

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestAssetsServedWithTheirContentTypes(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="js/app.js">`},
		{"/index.html", "text/html; charset=utf-8", "Quantum1Net"},
		{"/style.css", "text/css; charset=utf-8", ":root"},
		{"/js/app.js", "text/javascript; charset=utf-8", "hashchange"},
		{"/js/pages/service.js", "text/javascript; charset=utf-8", "export function mount"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	} {
		res := get(t, h, "GET", tc.path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %d %q, body has %q: %v", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.contains, strings.Contains(string(body), tc.contains))
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: missing nosniff or CSP: %v", tc.path, res.Header)
		}
	}
}

func TestIndexFallbackAndMissingFiles(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/services", "/anything/deeper", "/services/hello"} {
		res := get(t, h, "GET", path)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.Contains(string(body), "<title>Quantum1Net dashboard</title>") {
			t.Errorf("GET %s: %d, want index.html", path, res.StatusCode)
		}
	}
	res := get(t, h, "GET", "/js/nothing.js")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 404 || !strings.Contains(string(body), "the dashboard has no file /js/nothing.js") {
		t.Errorf("GET a missing file: %d %q", res.StatusCode, body)
	}
	res = get(t, h, "GET", "/../../etc/passwd.txt")
	if res.StatusCode != 404 {
		t.Errorf("GET outside the assets: %d", res.StatusCode)
	}
	res = get(t, h, "POST", "/")
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", res.StatusCode)
	}
	res = get(t, h, "HEAD", "/style.css")
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode != 200 || len(body) != 0 {
		t.Errorf("HEAD: %d, %d body bytes", res.StatusCode, len(body))
	}
}

// TestNoExternalURLs keeps the dashboard working offline: no asset may load
// anything from another origin. The only absolute URL allowed is the SVG
// namespace, which names a format and is never fetched.
func TestNoExternalURLs(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	allowed := map[string]bool{"http://www.w3.org/2000/svg": true}
	n := 0
	err := fs.WalkDir(Assets(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(Assets(), path)
		if err != nil {
			return err
		}
		for _, m := range url.FindAllString(string(b), -1) {
			if !allowed[m] && !allowed[m+"/2000/svg"] {
				t.Errorf("%s refers to %s: every asset must come from the node itself", path, m)
			}
		}
		if strings.Contains(string(b), "src=\"http") || strings.Contains(string(b), "href=\"http") || strings.Contains(string(b), "@import") {
			t.Errorf("%s links an absolute URL or imports CSS", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d embedded files", n)
	}
}

// TestModulesImportOnlyWhatIsEmbedded checks every relative ES module import
// names an embedded file, so a typo fails here and not in a browser.
func TestModulesImportOnlyWhatIsEmbedded(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^import .* from '([^']+)';`)
	err := fs.WalkDir(Assets(), "js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(Assets(), p)
		for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
			target := resolve(p, m[1])
			if _, err := fs.Stat(Assets(), target); err != nil {
				t.Errorf("%s imports %s (%s), which is not embedded", p, m[1], target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func resolve(from, rel string) string {
	parts := strings.Split(from, "/")
	parts = parts[:len(parts)-1]
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case ".":
		case "..":
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "/")
}
