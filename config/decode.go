package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder decodes a yaml.Node tree into a Config the way yaml.v3 does with
// KnownFields(true), except that it carries on after a problem, so that all
// of them are reported, and it remembers the node of every key path so that
// validation can say where a value came from.
type decoder struct {
	file string
	// lines is the source, to place errors inside multi-line values.
	lines []string
	root  *yaml.Node
	// nodes maps key paths ("feeds[2].url") to the value node they were
	// decoded from.
	nodes map[string]*yaml.Node
	// bad holds the key paths that failed to decode; validation stays quiet
	// about them and what is below them, since their value is meaningless.
	bad  map[string]bool
	errs []*Error
	// budget bounds the values decoded, since aliases can make a small
	// file expand to billions of them ("billion laughs").
	budget int
}

// maxValues is the most values a file may decode to, aliases expanded:
// far more than any real configuration holds.
const maxValues = 200_000

func newDecoder(file string) *decoder {
	return &decoder{file: file, nodes: map[string]*yaml.Node{}, bad: map[string]bool{}, budget: maxValues}
}

// decodeDocument decodes a document node into c.
func (d *decoder) decodeDocument(doc *yaml.Node, c *Config) {
	d.root = doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		d.root = doc.Content[0]
	}
	d.decode(d.root, reflect.ValueOf(c).Elem(), "")
}

// fail records a problem with the value at path.
func (d *decoder) fail(n *yaml.Node, path, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Key: path, Msg: msg})
	d.bad[path] = true
}

// has reports whether the file set path to something other than null.
func (d *decoder) has(path string) bool {
	n := d.nodes[path]
	return n != nil && !isNull(resolve(n))
}

// node returns the node of path or, when the file does not set it, of its
// nearest ancestor, so that "feeds[2].url is required" points at feeds[2].
func (d *decoder) node(path string) *yaml.Node {
	for {
		if n, ok := d.nodes[path]; ok {
			return n
		}
		if path == "" {
			return d.root
		}
		path = parent(path)
	}
}

// isBad reports whether path or one of its ancestors failed to decode.
func (d *decoder) isBad(path string) bool {
	for {
		if d.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = parent(path)
	}
}

// parent returns the path that contains path: "feeds[2]" for
// "feeds[2].url", "feeds" for "feeds[2]", "" for "feeds".
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// child returns the path of key inside path.
func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode sets v from n, recording problems instead of stopping at them.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.fail(n, path, fmt.Sprintf("the file expands to more than %d values; are aliases nested too deep?", maxValues))
		}
		return
	}
	d.nodes[path] = n
	n = resolve(n)
	if isNull(n) {
		// Like yaml.v3: null empties lists and pointers and leaves other
		// values at their defaults.
		switch v.Kind() {
		case reflect.Slice, reflect.Pointer:
			v.SetZero()
		}
		return
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			d.fail(n, path, err.Error())
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "expected a mapping, got "+describe(n))
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "expected a list, got "+describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "expected a string, got "+describe(n))
			return
		}
		v.SetString(n.Value)
	default:
		d.decodeScalar(n, v, path)
	}
}

// decodeScalar decodes numbers and booleans with yaml.v3's own rules, but
// with a message that names the value instead of Go types.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	want := "a " + v.Kind().String()
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "an integer"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.Bool:
		want = "true or false"
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, fmt.Sprintf("expected %s, got %s", want, describe(n)))
		return
	}
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		msg := fmt.Sprintf("%q is not %s", n.Value, want)
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
				msg += " but a quoted string; remove the quotes"
			}
		}
		d.fail(n, path, msg)
		return
	}
	v.Set(p.Elem())
}

// decodeStruct decodes mapping n into struct v, reporting unknown and
// repeated keys.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields, names := yamlFields(v.Type())
	// Merged mappings ("<<: *defaults") come first so that the mapping's own
	// keys override them, whatever their order.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.ShortTag() == "!!merge" {
			d.merge(n.Content[i+1], v, path)
		}
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "expected a key, got "+describe(k))
			continue
		}
		kpath := child(path, k.Value)
		if prev, ok := seen[k.Value]; ok {
			d.fail(k, kpath, fmt.Sprintf("key set twice (first at line %d)", prev.Line))
			continue
		}
		seen[k.Value] = k
		if path == "" && strings.HasPrefix(k.Value, "x-") {
			continue // a place for anchors, as in Compose files
		}
		f, ok := fields[k.Value]
		if !ok {
			d.fail(k, kpath, "unknown key"+suggestion(k.Value, names))
			continue
		}
		d.decode(val, v.Field(f), kpath)
	}
}

// merge applies a YAML merge key's value: a mapping or a list of them, the
// earlier ones taking precedence.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		d.decodeStruct(n, v, path)
		return
	case yaml.SequenceNode:
		for i := len(n.Content) - 1; i >= 0; i-- {
			if m := resolve(n.Content[i]); m.Kind == yaml.MappingNode {
				d.decodeStruct(m, v, path)
				continue
			}
			d.fail(n.Content[i], path, "\"<<\" merges mappings, got "+describe(n.Content[i]))
		}
		return
	}
	d.fail(n, path, "\"<<\" merges mappings, got "+describe(n))
}

// yamlFields returns the field index of every yaml key of struct type t, and
// the keys in declaration order for suggestions.
func yamlFields(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = i
		names = append(names, name)
	}
	return fields, names
}
