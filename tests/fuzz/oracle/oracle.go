// SPDX-License-Identifier: Apache-2.0

// Command oracle is the test-only model of "what runc sees".
//
// runc 1.1 reads config.json with
//
//	json.NewDecoder(f).Decode(&spec) // spec *specs.Spec
//
// (exec --process: a specs.Process, update --resources: a
// specs.LinuxResources), i.e. Go's encoding/json: case-insensitive keys
// with Unicode folding, the last duplicate wins, invalid UTF-8 becomes
// U+FFFD, data after the first value is ignored.  This program does the
// same and prints the decoded value re-encoded with json.Marshal, so two
// documents that runc reads identically print identically.
//
// Usage:
//
//	oracle [-kind spec|process|resources] FILE
//	    print the canonical JSON of what runc decodes; exit 1 (error on
//	    stderr) when runc would fail to decode FILE.  Without -kind the
//	    kind comes from the name: *.process.json, *.update.json /
//	    *.resources.json, else spec.
//
//	oracle -compare INDIR -canon CANONDIR [-v]
//	    the differential check used by tests/fuzz/differential.sh.  For
//	    every INDIR/NAME, CANONDIR/NAME.ok holds ocigate's canonical output
//	    (og_spec_parse + og_json_write) or CANONDIR/NAME.refused exists.
//	    For an accepted input:
//	      - Go must decode the original and ocigate's output to the same
//	        value (byte-equal json.Marshal), or fail on both;
//	      - everything Go decoded must be in ocigate's tree under the exact
//	        key spelling ("containment"): a value runc sees that ocigate's
//	        rules, which compare keys exactly, cannot see is a differential.
//	    Prints counts; exit 1 when a differential was found.
//
//	oracle -gen OUTDIR
//	    write the generated tricky inputs (key case variants for every
//	    json tag of specs-go with U+212A / U+017F literal and \u-escaped,
//	    duplicates, invalid UTF-8, lone surrogates, integer spellings,
//	    deep nesting, trailing data ...).
//
//	oracle -stream N -seed S -from DIR -dump SPEC_DUMP [-diffs OUTDIR] [-v]
//	    the same check for N random mutants of the files in DIR, made in
//	    memory and read by ocigate through "SPEC_DUMP -" (a length-prefixed
//	    stream, no file per input); a mutant keeps its seed's kind.  The
//	    differentials are written to OUTDIR.  Exit 1 when one was found.
//
// Build offline (GOPATH mode, Debian packages golang-go and
// golang-github-opencontainers-specs-dev):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode GOPROXY=off go build -o oracle oracle.go
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ---- decoding as runc does ------------------------------------------------

func kindOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".process.json"):
		return "process"
	case strings.HasSuffix(name, ".update.json"), strings.HasSuffix(name, ".resources.json"):
		return "resources"
	}
	return "spec"
}

// decode returns json.Marshal of what runc decodes from data.
func decode(kind string, data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	switch kind {
	case "process":
		var p specs.Process
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		return json.Marshal(&p)
	case "resources":
		var r specs.LinuxResources
		if err := dec.Decode(&r); err != nil {
			return nil, err
		}
		return json.Marshal(&r)
	default:
		var s *specs.Spec
		if err := dec.Decode(&s); err != nil {
			return nil, err
		}
		if s == nil {
			return nil, errors.New("config cannot be null")
		}
		return json.Marshal(s)
	}
}

// ---- containment ---------------------------------------------------------

func generic(data []byte) (interface{}, error) {
	var v interface{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func isZero(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))
		return ok && r.Sign() == 0
	case []interface{}:
		return len(x) == 0
	case map[string]interface{}:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}

func numEqual(a, b json.Number) bool {
	ra, ok1 := new(big.Rat).SetString(string(a))
	rb, ok2 := new(big.Rat).SetString(string(b))
	return ok1 && ok2 && ra.Cmp(rb) == 0
}

// contained reports where m (what Go decoded) is not in g (ocigate's tree,
// exact keys).  Zero values may be absent: Go prints fields it never saw.
func contained(m, g interface{}, path string) error {
	if g == nil {
		if isZero(m) {
			return nil
		}
		return fmt.Errorf("%s: runc sees %s, ocigate's tree has nothing under the exact key", path, short(m))
	}
	switch x := m.(type) {
	case nil:
		return nil
	case map[string]interface{}:
		gm, ok := g.(map[string]interface{})
		if !ok {
			return fmt.Errorf("%s: runc sees an object, ocigate %s", path, short(g))
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := contained(x[k], gm[k], path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []interface{}:
		ga, ok := g.([]interface{})
		if !ok || len(ga) != len(x) {
			return fmt.Errorf("%s: runc sees %s, ocigate %s", path, short(m), short(g))
		}
		for i := range x {
			if err := contained(x[i], ga[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case json.Number:
		if gn, ok := g.(json.Number); ok && numEqual(x, gn) {
			return nil
		}
	case string, bool:
		if m == g {
			return nil
		}
	}
	return fmt.Errorf("%s: runc sees %s, ocigate %s", path, short(m), short(g))
}

func short(v interface{}) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

// ---- the differential check ----------------------------------------------

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

type verdict struct {
	name, what string
}

// tally counts the verdicts of a differential run.
type tally struct {
	total, accepted, refused, goBoth, lenient, goRefusesRefused int
	diffs                                                       []verdict
}

// judge checks one input: orig is the document, canon ocigate's canonical
// output when accepted.  A differential is appended to t.diffs.
func (t *tally) judge(name, kind string, orig, canon []byte, accepted, verbose bool) {
	t.total++
	if !accepted {
		t.refused++
		if _, gerr := decode(kind, orig); gerr != nil {
			t.goRefusesRefused++
		}
		return
	}
	t.accepted++
	gOrig, errOrig := decode(kind, orig)
	gCanon, errCanon := decode(kind, canon)
	switch {
	case errOrig != nil && errCanon != nil:
		// runc cannot decode either: it refuses the container.
		t.goBoth++
		return
	case errOrig != nil:
		// ocigate accepted what runc would have refused; runc reads
		// ocigate's output, so this is leniency, not a differential.
		t.lenient++
		if verbose {
			fmt.Printf("LENIENT %s: runc refuses the original (%v), accepts ocigate's output\n", name, errOrig)
		}
		return
	case errCanon != nil:
		t.diffs = append(t.diffs, verdict{name, fmt.Sprintf("runc reads the original but not ocigate's output: %v", errCanon)})
		return
	case !bytes.Equal(gOrig, gCanon):
		t.diffs = append(t.diffs, verdict{name, fmt.Sprintf("runc reads the original and ocigate's output differently:\n    original: %s\n    ocigate:  %s", clip(gOrig), clip(gCanon))})
		return
	}
	m, err1 := generic(gCanon)
	g, err2 := generic(canon)
	if err1 != nil || err2 != nil {
		t.diffs = append(t.diffs, verdict{name, fmt.Sprintf("cannot re-read for containment: %v %v", err1, err2)})
		return
	}
	if err := contained(m, g, kind); err != nil {
		t.diffs = append(t.diffs, verdict{name, "containment: " + err.Error()})
	}
}

// report prints the differentials, grouped, and the counts; 1 if any.
func (t *tally) report() int {
	groups := map[string]int{}
	for _, d := range t.diffs {
		fmt.Printf("DIFFERENTIAL %s: %s\n", d.name, d.what)
		g := d.what
		if i := strings.Index(g, ": runc sees"); strings.HasPrefix(g, "containment: ") && i > 0 {
			g = "containment: " + indexRE.ReplaceAllString(g[len("containment: "):i], "")
		} else if i := strings.IndexAny(g, ":\n"); i > 0 {
			g = g[:i]
		}
		groups[g]++
	}
	if len(groups) > 0 {
		var gs []string
		for g := range groups {
			gs = append(gs, g)
		}
		sort.Strings(gs)
		fmt.Println("differentials by kind and path:")
		for _, g := range gs {
			fmt.Printf("  %s  (%d)\n", g, groups[g])
		}
	}
	fmt.Printf("inputs: %d  accepted by ocigate: %d  refused by ocigate: %d (runc also refuses %d)\n", t.total, t.accepted, t.refused, t.goRefusesRefused)
	fmt.Printf("accepted but undecodable by runc (original and output): %d  accepted, runc refuses only the original: %d\n", t.goBoth, t.lenient)
	fmt.Printf("differentials: %d\n", len(t.diffs))
	if len(t.diffs) > 0 {
		return 1
	}
	return 0
}

func compare(indir, canondir string, verbose bool) int {
	entries, err := os.ReadDir(indir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	var t tally
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name := e.Name()
		orig, err := os.ReadFile(filepath.Join(indir, name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			return 2
		}
		canon, err := os.ReadFile(filepath.Join(canondir, name+".ok"))
		if err != nil {
			if _, err2 := os.Stat(filepath.Join(canondir, name+".refused")); err2 != nil {
				fmt.Fprintf(os.Stderr, "oracle: no ocigate verdict for %s\n", name)
				return 2
			}
		}
		t.judge(name, kindOf(name), orig, canon, err == nil, verbose)
	}
	return t.report()
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "..."
	}
	return string(b)
}

// ---- generated inputs ----------------------------------------------------

type step struct {
	key   string
	array bool // the value under key is an array; descend into its element
	mapv  bool // the value under key is a map; descend into one value
}

type field struct {
	path []step // all but the last step
	tag  string
	typ  reflect.Type
}

func tagName(f reflect.StructField) string {
	t := f.Tag.Get("json")
	if i := strings.IndexByte(t, ','); i >= 0 {
		t = t[:i]
	}
	if t == "-" {
		return ""
	}
	if t == "" && f.IsExported() {
		return f.Name
	}
	return t
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	return t
}

func collect(t reflect.Type, prefix []step, out *[]field, depth int) {
	t = deref(t)
	if t.Kind() != reflect.Struct || depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := tagName(f)
		if name == "" {
			continue
		}
		ft := deref(f.Type)
		p := append(append([]step{}, prefix...))
		*out = append(*out, field{p, name, ft})
		switch ft.Kind() {
		case reflect.Struct:
			collect(ft, append(p, step{key: name}), out, depth+1)
		case reflect.Slice:
			if deref(ft.Elem()).Kind() == reflect.Struct {
				collect(ft.Elem(), append(p, step{key: name, array: true}), out, depth+1)
			}
		case reflect.Map:
			if deref(ft.Elem()).Kind() == reflect.Struct {
				collect(ft.Elem(), append(p, step{key: name, mapv: true}), out, depth+1)
			}
		}
	}
}

// sample is JSON text for a non-zero value of t that Go decodes without error.
func sample(t reflect.Type, depth int) string {
	t = deref(t)
	switch t.Kind() {
	case reflect.String:
		return `"x"`
	case reflect.Bool:
		return "true"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "7"
	case reflect.Float32, reflect.Float64:
		return "1.5"
	case reflect.Slice:
		return "[" + sample(t.Elem(), depth+1) + "]"
	case reflect.Map:
		return `{"k":` + sample(t.Elem(), depth+1) + "}"
	case reflect.Interface:
		return `"x"`
	case reflect.Struct:
		if depth > 6 {
			return "{}"
		}
		var parts []string
		for i := 0; i < t.NumField(); i++ {
			name := tagName(t.Field(i))
			if name == "" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%q:%s", name, sample(t.Field(i).Type, depth+1)))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return "null"
}

// wrap nests `inner` (an object body without braces) along path.
func wrap(path []step, inner string) string {
	doc := "{" + inner + "}"
	for i := len(path) - 1; i >= 0; i-- {
		s := path[i]
		switch {
		case s.array:
			doc = fmt.Sprintf(`{%q:[%s]}`, s.key, doc)
		case s.mapv:
			doc = fmt.Sprintf(`{%q:{"dev0":%s}}`, s.key, doc)
		default:
			doc = fmt.Sprintf(`{%q:%s}`, s.key, doc)
		}
	}
	return doc
}

type variant struct{ name, key string }

func replaceFirst(tag string, pred func(r rune) bool, with string) (string, bool) {
	for i, r := range tag {
		if pred(r) {
			return tag[:i] + with + tag[i+1:], true
		}
	}
	return tag, false
}

// keyVariants are raw JSON key texts that Go folds onto tag.
func keyVariants(tag string) []variant {
	var v []variant
	add := func(name, key string) {
		if key != tag {
			v = append(v, variant{name, key})
		}
	}
	add("lower", strings.ToLower(tag))
	add("upper", strings.ToUpper(tag))
	if tag != "" {
		r := []rune(tag)
		r[0] = unicode.ToUpper(r[0])
		add("title", string(r))
		r = []rune(tag)
		last := len(r) - 1
		if unicode.IsUpper(r[last]) {
			r[last] = unicode.ToLower(r[last])
		} else {
			r[last] = unicode.ToUpper(r[last])
		}
		add("lastcase", string(r))
	}
	isK := func(r rune) bool { return r == 'k' || r == 'K' }
	isS := func(r rune) bool { return r == 's' || r == 'S' }
	if k, ok := replaceFirst(tag, isK, "\u212a"); ok {
		add("kelvin", k)
		k2, _ := replaceFirst(tag, isK, `\u212a`)
		add("kelvin-esc", k2)
		k3, _ := replaceFirst(tag, isK, `\u212A`)
		add("kelvin-ESC", k3)
	}
	if s, ok := replaceFirst(tag, isS, "\u017f"); ok {
		add("longs", s)
		s2, _ := replaceFirst(tag, isS, `\u017f`)
		add("longs-esc", s2)
	}
	// The exact spelling, but escaped: decodes to the tag itself.
	if tag != "" {
		v = append(v, variant{"escaped-exact", fmt.Sprintf(`\u%04x`, tag[0]) + tag[1:]})
	}
	return v
}

func isIntKind(t reflect.Type) bool {
	switch deref(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

const base = `{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["sh"],"env":["A=b"],"cwd":"/",` +
	`"capabilities":{"bounding":["CAP_CHOWN"]},"noNewPrivileges":true},"root":{"path":"rootfs","readonly":true},` +
	`"hostname":"h","mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"annotations":{"a":"b"},` +
	`"linux":{"resources":{"memory":{"limit":1048576},"pids":{"limit":100}},"namespaces":[{"type":"pid"}],"sysctl":{"net.ipv4.ip_forward":"0"}}}`

func gen(outdir string) error {
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return err
	}
	n := 0
	put := func(name string, data string) {
		n++
		name = strings.Map(func(r rune) rune {
			if r == '/' || r == 0 || r > 0x7e || r < 0x20 {
				return '_'
			}
			return r
		}, name)
		if err := os.WriteFile(filepath.Join(outdir, fmt.Sprintf("gen-%04d-%s.json", n, name)), []byte(data), 0o644); err != nil {
			panic(err)
		}
	}

	var fields []field
	collect(reflect.TypeOf(specs.Spec{}), nil, &fields, 0)
	for _, f := range fields {
		val := sample(f.typ, 0)
		where := ""
		for _, s := range f.path {
			where += s.key + "."
		}
		for _, v := range keyVariants(f.tag) {
			put(fmt.Sprintf("key-%s%s-%s", where, f.tag, v.name), wrap(f.path, fmt.Sprintf(`"%s":%s`, v.key, val)))
		}
		// The exact key twice (Go: last wins) and exact + variant.
		put(fmt.Sprintf("dup-%s%s", where, f.tag), wrap(f.path, fmt.Sprintf(`"%s":%s,"%s":%s`, f.tag, val, f.tag, val)))
		put(fmt.Sprintf("dupfold-%s%s", where, f.tag), wrap(f.path, fmt.Sprintf(`"%s":%s,"%s":%s`, f.tag, val, strings.ToUpper(f.tag), val)))
		if isIntKind(f.typ) {
			for i, num := range []string{"1e3", "1E3", "1.0", "-0", "0.5", "-1", "1e-3", "1e400", "-0.0", "0e0",
				"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
				"18446744073709551615", "18446744073709551616", "4294967295", "4294967296", "65535", "65536", "255", "256",
				"00", "01", "+1", ".5", "1.", "0x10", "NaN", "Infinity", "1_000"} {
				put(fmt.Sprintf("num%02d-%s%s", i, where, f.tag), wrap(f.path, fmt.Sprintf(`"%s":%s`, f.tag, num)))
			}
		}
	}

	// A map of structs keyed by a name that ocigate treats as a map field.
	for _, mk := range []string{"annotations", "sysctl", "unified", "rdma", "timeOffsets", "mlx5_0"} {
		put("rdma-mapkey-"+mk, fmt.Sprintf(`{"linux":{"resources":{"rdma":{%q:{"HCAHANDLES":5,"hcaObjects":6}}}}}`, mk))
	}
	// Map fields: any key is data, case variants must survive exactly.
	put("map-annotations-case", `{"annotations":{"ociVersion":"a","OCIVERSION":"b","K":"\u212a","s":"\u017f"}}`)
	put("map-sysctl-case", `{"linux":{"sysctl":{"Net.Ipv4":"1","net.ipv4":"2"}}}`)
	put("map-unified-case", `{"linux":{"resources":{"unified":{"memory.max":"1","MEMORY.MAX":"2"}}}}`)
	put("map-annotations-dup", `{"annotations":{"a":"1","a":"2"}}`)

	// Strings: escapes, UTF-8, surrogates, NUL.
	strs := map[string]string{
		"esc-slash": `"\/bin\/sh"`, "esc-all": `"\"\\\/\b\f\n\r\t"`, "esc-uni": `"\u00e9\u4e2d"`,
		"utf8-literal": "\"\u00e9\u4e2d\U0001F600\"", "pair": `"\ud83d\ude00"`, "pair-upper": `"\uD83D\uDE00"`,
		"lone-high": `"\ud800"`, "lone-low": `"\udc00"`, "high-high": `"\ud800\ud800"`, "high-then-char": `"\ud800x"`,
		"high-then-ascii-esc": `"\ud800\u0041"`, "low-high": `"\udc00\ud800"`, "high-at-end": `"ab\udbff"`,
		"escaped-backslash-u": `"\\ud800"`, "nul-escape": `"a\u0000b"`, "nul-raw": "\"a\x00b\"",
		"invalid-ff": "\"\xff\"", "invalid-overlong": "\"\xc0\xaf\"", "invalid-surrogate-utf8": "\"\xed\xa0\x80\"",
		"invalid-above-max": "\"\xf4\x90\x80\x80\"", "invalid-truncated": "\"\xe2\x84\"", "invalid-cont": "\"\x80\"",
		"ctl-raw": "\"a\x01b\"", "ctl-tab-raw": "\"a\tb\"", "del-raw": "\"a\x7fb\"", "bad-escape": `"\x41"`,
		"bad-u": `"\u12"`, "bad-U": `"\U0041"`, "u2028": "\"\u2028\u2029\"", "bom-in-string": "\"\ufeff\"",
		"noncharacter": "\"\uffff\ufffe\"", "replacement": "\"\ufffd\"",
	}
	keys := make([]string, 0, len(strs))
	for k := range strs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := strs[k]
		put("str-hostname-"+k, `{"ociVersion":"1.0.2","hostname":`+s+`}`)
		put("str-arg-"+k, `{"process":{"cwd":"/","args":["sh",`+s+`]}}`)
		put("str-key-"+k, `{"annotations":{`+s+`:"v"},`+s[:len(s)-1]+`x":1}`)
		put("str-cap-"+k, `{"process":{"capabilities":{"bounding":[`+s+`]}}}`)
	}
	// Keys whose escapes decode to a known field.
	put("key-escape-nnp", `{"process":{"\u006eoNewPrivileges":true,"cwd":"/"}}`)
	put("key-escape-kelvin-in-unknown", `{"x\u212ay":1}`)
	put("key-nul-escape", `{"process\u0000":{"noNewPrivileges":false}}`)
	put("key-nul-escape2", `{"process":{"noNewPrivileges\u0000":false}}`)
	put("key-invalid-utf8", "{\"proce\xffss\":{}}")
	put("key-lone-surrogate", `{"process\ud800":{}}`)
	put("key-trailing-space", `{"process ":{"noNewPrivileges":false}}`)
	put("key-zero-width", "{\"process\u200b\":{}}")
	put("key-dotless-i", "{\"l\u0131nux\":{}}")
	put("key-dotted-I", "{\"l\u0130nux\":{}}")
	put("key-fullwidth", "{\"\uff50rocess\":{}}")
	put("key-angstrom", "{\"\u212bnnotations\":{}}")
	put("key-greek-mu", "{\"\u00b5\":{}}")
	put("key-empty", `{"":1}`)

	// Whole-document shapes.
	docs := map[string]string{
		"base": base, "empty": "", "ws": " \n\t", "null": "null", "array": "[]", "string": `"x"`, "number": "1",
		"true": "true", "empty-object": "{}", "trailing-garbage": base + " x", "trailing-object": base + "{}",
		"trailing-newline": base + "\n", "trailing-nul": base + "\x00", "trailing-comment": base + " // c",
		"leading-comment": "/* c */" + base, "inner-comment": `{"ociVersion":/*c*/"1.0.2"}`,
		"bom": "\ufeff" + base, "ws-vt": "{\v\"ociVersion\":\"1\"}", "ws-ff": "{\f\"ociVersion\":\"1\"}",
		"ws-nbsp": "{\u00a0\"ociVersion\":\"1\"}", "ws-cr": "{\r\"ociVersion\":\"1\"}",
		"trailing-comma-obj": `{"ociVersion":"1",}`, "trailing-comma-arr": `{"process":{"args":["a",]}}`,
		"single-quote": `{'ociVersion':"1"}`, "unquoted-key": `{ociVersion:"1"}`, "nan": `{"x":NaN}`,
		"unclosed": `{"ociVersion":"1"`, "two-docs-ws": "{} {}", "null-process": `{"process":null}`,
		"null-caps": `{"process":{"capabilities":null,"cwd":"/"}}`, "null-nnp": `{"process":{"noNewPrivileges":null}}`,
		"null-root": `{"root":null}`, "null-readonly": `{"root":{"path":"r","readonly":null}}`,
		"null-limit": `{"linux":{"resources":{"memory":{"limit":null}}}}`, "null-mounts": `{"mounts":null}`,
		"null-mount": `{"mounts":[null]}`, "type-nnp-string": `{"process":{"noNewPrivileges":"true"}}`,
		"type-nnp-number": `{"process":{"noNewPrivileges":1}}`, "type-readonly-string": `{"root":{"readonly":"true"}}`,
		"type-limit-string": `{"linux":{"resources":{"memory":{"limit":"1G"}}}}`, "type-args-string": `{"process":{"args":"sh"}}`,
		"type-caps-array": `{"process":{"capabilities":["CAP_SYS_ADMIN"]}}`, "type-mounts-object": `{"mounts":{"destination":"/x"}}`,
		"type-process-array": `{"process":[]}`, "type-linux-string": `{"linux":"x"}`,
		"dup-top": `{"ociVersion":"1","ociVersion":"2"}`, "dup-nnp": `{"process":{"noNewPrivileges":false,"noNewPrivileges":true}}`,
		"dup-nnp-fold":       `{"process":{"noNewPrivileges":true,"NoNewPrivileges":false}}`,
		"dup-process":        `{"process":{"noNewPrivileges":true},"process":{"noNewPrivileges":false}}`,
		"dup-process-kelvin": "{\"linux\":{\"resources\":{}},\"linux\":{}}",
		"dup-in-array":       `{"mounts":[{"type":"bind","type":"proc"}]}`, "dup-unknown": `{"x":1,"x":2}`,
		"dup-unknown-fold": `{"xY":1,"Xy":2}`, "dup-deep-unknown": `{"x":{"y":{"z":1,"z":2}}}`,
		"kelvin-nnp-like":   "{\"process\":{\"noNewPrivileges\":true},\"linu\u212a\":{}}",
		"longs-process":     "{\"proce\u017fs\":{\"noNewPrivileges\":false}}",
		"longs-process-esc": `{"proce\u017fs":{"noNewPrivileges":false}}`,
		"kelvin-esc-kernel": `{"linux":{"resources":{"memory":{"\u212aernel":5}}}}`,
		"caps-ambient-fold": `{"process":{"capabilities":{"Ambient":["CAP_SYS_ADMIN"]}}}`,
		"many-keys":         manyKeys(40), "many-keys-dup": manyKeys(40)[:len(manyKeys(40))-1] + `,"k7":0}`,
	}
	for _, depth := range []int{16, 17, 63, 64, 65, 100, 129, 1000, 10001} {
		docs[fmt.Sprintf("deep-array-%d", depth)] = `{"x":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
		docs[fmt.Sprintf("deep-object-%d", depth)] = strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
		docs[fmt.Sprintf("deep-annotations-%d", depth)] = `{"annotations":{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}}"
	}
	keys = keys[:0]
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		put("doc-"+k, docs[k])
	}
	fmt.Fprintf(os.Stderr, "oracle: generated %d inputs in %s\n", n, outdir)
	return nil
}

func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString("}")
	return b.String()
}

// ---- random mutation -----------------------------------------------------

var tokens = []string{"\u212a", "\u017f", `\u212a`, `\u017f`, `\ud800`, `\udc00`, `\u0000`, "\xff", "\xc0\xaf",
	"\xed\xa0\x80", `"`, `\`, "{", "}", "[", "]", ",", ":", "null", "true", "false", "-0", "1e3", "1.0",
	`"noNewPrivileges":false,`, `"NoNewPrivileges":false,`, `"capabilities":{"bounding":["CAP_SYS_ADMIN"]},`,
	`"readonly":false,`, `"Readonly":false,`, `"limit":-1,`, `"LIMIT":-1,`, `"type":"bind","source":"/",`,
	`"options":["rbind"],`, `"process":{},`, `"x":1,`, "/*c*/", " ", "\v", "\ufeff"}

func mutate(rng *rand.Rand, in []byte) []byte {
	b := append([]byte{}, in...)
	for n := 1 + rng.Intn(4); n > 0; n-- {
		if len(b) == 0 {
			b = append(b, '{', '}')
		}
		i := rng.Intn(len(b))
		switch rng.Intn(8) {
		case 0, 1: // flip the case of a letter (inside keys most of the time)
			for k := 0; k < 64; k++ {
				j := (i + k) % len(b)
				if c := b[j]; (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
					b[j] ^= 0x20
					break
				}
			}
		case 2: // replace a k/s by its Unicode fold
			for k := 0; k < len(b); k++ {
				j := (i + k) % len(b)
				if c := b[j] | 0x20; c == 'k' || c == 's' {
					rep := "\u212a"
					if c == 's' {
						rep = "\u017f"
					}
					if rng.Intn(2) == 0 {
						rep = map[byte]string{'k': `\u212a`, 's': `\u017f`}[c]
					}
					b = append(b[:j], append([]byte(rep), b[j+1:]...)...)
					break
				}
			}
		case 3: // insert a token
			t := tokens[rng.Intn(len(tokens))]
			b = append(b[:i], append([]byte(t), b[i:]...)...)
		case 4: // delete a few bytes
			j := i + 1 + rng.Intn(8)
			if j > len(b) {
				j = len(b)
			}
			b = append(b[:i], b[j:]...)
		case 5: // random byte
			b[i] = byte(rng.Intn(256))
		case 6: // duplicate a slice (often a member)
			j := i + 1 + rng.Intn(64)
			if j > len(b) {
				j = len(b)
			}
			at := rng.Intn(len(b))
			seg := append([]byte{}, b[i:j]...)
			b = append(b[:at], append(seg, b[at:]...)...)
		case 7: // swap a digit
			if c := b[i]; c >= '0' && c <= '9' {
				b[i] = "0123456789-e.E+"[rng.Intn(15)]
			}
		}
	}
	return b
}

// ---- streamed mutants ----------------------------------------------------

type seedDoc struct {
	name, kind string
	data       []byte
}

func loadSeeds(from string) ([]seedDoc, error) {
	var seeds []seedDoc
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil && len(data) < 256*1024 {
			seeds = append(seeds, seedDoc{d.Name(), kindOf(d.Name()), data})
		}
		return err
	})
	if err == nil && len(seeds) == 0 {
		err = errors.New("no seeds")
	}
	return seeds, err
}

// ask sends one document to spec_dump's stream mode and reads its verdict.
func ask(w *bufio.Writer, r *bufio.Reader, doc []byte) (accepted bool, out []byte, err error) {
	var hdr [5]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(doc)))
	if _, err = w.Write(hdr[:4]); err == nil {
		_, err = w.Write(doc)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = io.ReadFull(r, hdr[:])
	}
	if err != nil {
		return false, nil, err
	}
	out = make([]byte, binary.LittleEndian.Uint32(hdr[1:]))
	if _, err = io.ReadFull(r, out); err != nil {
		return false, nil, err
	}
	return hdr[0] == 'A', out, nil
}

// stream judges n random mutants of the documents under from, each read by
// ocigate through dump (spec_dump in its stream mode), without a file per
// input.  A mutant keeps its seed's kind (a process.json stays a process);
// accepted mutants join the seeds (up to twice their first number), so
// mutations stack.  Differentials are written to diffdir.
func stream(n int, seed int64, from, dump, diffdir string, verbose bool) int {
	seeds, err := loadSeeds(from)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	cmd := exec.Command(dump, "-")
	cmd.Stderr = os.Stderr
	in, err1 := cmd.StdinPipe()
	out, err2 := cmd.StdoutPipe()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "oracle: pipes:", err1, err2)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	w, r := bufio.NewWriterSize(in, 1<<16), bufio.NewReaderSize(out, 1<<16)
	rng := rand.New(rand.NewSource(seed))
	maxSeeds := 2 * len(seeds)
	var t tally
	for i := 0; i < n; i++ {
		s := seeds[rng.Intn(len(seeds))]
		m := mutate(rng, s.data)
		ok, canon, err := ask(w, r, m)
		if err != nil {
			fmt.Fprintf(os.Stderr, "oracle: spec_dump died on mutant %d: %v\n", i, err)
			os.WriteFile(filepath.Join(diffdir, fmt.Sprintf("crash-%d-%d-%s", seed, i, s.name)), m, 0o644)
			return 2
		}
		name := fmt.Sprintf("mut-%d-%d-%s", seed, i, s.name)
		if ok && len(seeds) < maxSeeds {
			seeds = append(seeds, seedDoc{s.name, s.kind, m})
		}
		before := len(t.diffs)
		t.judge(name, s.kind, m, canon, ok, verbose)
		if len(t.diffs) > before {
			if err := os.WriteFile(filepath.Join(diffdir, name), m, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "oracle:", err)
				return 2
			}
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: spec_dump:", err)
		return 2
	}
	return t.report()
}

// ---- main ----------------------------------------------------------------

func main() {
	kind := flag.String("kind", "", "spec, process or resources (default: from the file name)")
	cmp := flag.String("compare", "", "directory of inputs for the differential check")
	canon := flag.String("canon", "", "directory of ocigate's verdicts (NAME.ok / NAME.refused)")
	verbose := flag.Bool("v", false, "also list inputs runc refuses but ocigate accepts")
	genDir := flag.String("gen", "", "write the generated inputs to this directory")
	seed := flag.Int64("seed", 1, "mutation seed")
	from := flag.String("from", "", "seed directory for -stream")
	nstream := flag.Int("stream", 0, "number of random mutants of -from to judge through -dump")
	dump := flag.String("dump", "", "spec_dump, for -stream")
	diffdir := flag.String("diffs", ".", "where -stream writes the differentials")
	flag.Parse()

	switch {
	case *nstream > 0:
		os.Exit(stream(*nstream, *seed, *from, *dump, *diffdir, *verbose))
	case *cmp != "":
		os.Exit(compare(*cmp, *canon, *verbose))
	case *genDir != "":
		if err := gen(*genDir); err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(2)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: oracle [-kind spec|process|resources] FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(2)
	}
	k := *kind
	if k == "" {
		k = kindOf(flag.Arg(0))
	}
	res, err := decode(k, data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle: runc's decoder fails:", err)
		os.Exit(1)
	}
	os.Stdout.Write(res)
	os.Stdout.Write([]byte("\n"))
}
