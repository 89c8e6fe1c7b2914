// Package templatetest holds deploy/template.yaml to the code it deploys: every environment variable a function
// gets is one its code reads, every function is built from a directory under functions/, the IAM roles name the
// prefixes and catalog operations the code uses and nothing broader, the DynamoDB table is the one
// pkg/catalog/dynamostore creates, the CloudFront Function is deploy/cloudfront/normalize.js, the cache key is
// pkg/imgurl's parameters, and the API's routes are pkg/api's. None of this can be deployed from the repository
// (there is no AWS account), so these are the checks that catch a template that has drifted from the code.
//
// The template is read with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...) turned into their long
// forms, and a small evaluator resolves the intrinsic functions for a given set of parameter values, the way
// CloudFormation would for a deploy: conditions, Fn::If with AWS::NoValue, Fn::Sub, Fn::Join, Fn::Select and
// Fn::Split. References to resources cannot be resolved without a deploy; they evaluate to the logical ID (Ref)
// or to "{Logical.Attribute}" (Fn::GetAtt, ${Logical.Attribute} in Fn::Sub), which tests compare as strings.
package templatetest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package.
const root = "../.."

var templatePath = filepath.Join(root, "deploy", "template.yaml")

var (
	loadOnce sync.Once
	loaded   map[string]any
	loadErr  error
)

// template returns the parsed template, shared by every test (it is only read).
func template(t *testing.T) map[string]any {
	t.Helper()
	loadOnce.Do(func() {
		raw, err := os.ReadFile(templatePath)
		if err != nil {
			loadErr = err
			return
		}
		loaded, loadErr = parseTemplate(raw)
	})
	if loadErr != nil {
		t.Fatalf("read %s: %v", templatePath, loadErr)
	}
	return loaded
}

// parseTemplate decodes a CloudFormation YAML template into maps, slices and scalars, with the short-form tags
// turned into their long forms: !Ref x is {"Ref": "x"}, !GetAtt a.b is {"Fn::GetAtt": ["a", "b"]}, !Sub s is
// {"Fn::Sub": "s"}, !Condition c is {"Condition": "c"}.
func parseTemplate(raw []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("not one YAML document")
	}
	v, err := convert(doc.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the template is not a mapping")
	}
	return m, nil
}

func convert(n *yaml.Node) (any, error) {
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := tag[1:]
		plain := *n
		plain.Tag = ""
		if n.Kind == yaml.ScalarNode {
			plain.Tag = "!!str"
		}
		v, err := convert(&plain)
		if err != nil {
			return nil, err
		}
		switch name {
		case "Ref", "Condition":
			return map[string]any{name: v}, nil
		case "GetAtt":
			if s, ok := v.(string); ok {
				logical, attr, _ := strings.Cut(s, ".")
				v = []any{logical, attr}
			}
		}
		return map[string]any{"Fn::" + name: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
}

// Pseudo parameter values of the imaginary deploy the evaluator resolves for.
const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
	testStack   = "imgpipe"
)

// stack is the template evaluated for one set of parameter values.
type stack struct {
	t       *testing.T
	tmpl    map[string]any
	params  map[string]string
	conds   map[string]bool
	pending map[string]bool // conditions being evaluated, to report a cycle instead of recursing forever
}

// newStack evaluates the template with every parameter at its default except overrides. An override of a parameter
// the template does not declare fails the test, so a renamed parameter cannot leave a test checking nothing.
func newStack(t *testing.T, overrides map[string]string) *stack {
	t.Helper()
	tmpl := template(t)
	params := map[string]string{}
	for name, p := range mapOf(t, tmpl["Parameters"]) {
		def, ok := mapOf(t, p)["Default"]
		if !ok {
			t.Fatalf("parameter %s has no default: a zero-setup deploy needs one", name)
		}
		params[name] = scalar(def)
	}
	for k, v := range overrides {
		if _, ok := params[k]; !ok {
			t.Fatalf("override of %s: the template has no such parameter", k)
		}
		params[k] = v
	}
	return &stack{t: t, tmpl: tmpl, params: params, conds: map[string]bool{}, pending: map[string]bool{}}
}

// knownAttributes are resource attributes whose shape the template takes apart (the function URL, split into its
// host for CloudFront), given a realistic value; any other attribute is "{Logical.Attribute}".
var knownAttributes = map[string]string{
	"ServeFunctionUrl.FunctionUrl": "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url." + testRegion + ".on.aws/",
}

func attribute(name string) string {
	if v, ok := knownAttributes[name]; ok {
		return v
	}
	return "{" + name + "}"
}

// noValue is what AWS::NoValue evaluates to; containers drop it.
type noValue struct{}

// eval resolves every intrinsic function in v.
func (s *stack) eval(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if r, ok := s.intrinsic(k, arg); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			if r := s.eval(x); r != (noValue{}) {
				out[k] = r
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			if r := s.eval(x); r != (noValue{}) {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

func (s *stack) intrinsic(name string, arg any) (any, bool) {
	switch name {
	case "Ref":
		return s.ref(scalar(arg)), true
	case "Fn::GetAtt":
		l := listOf(s.t, arg)
		return attribute(scalar(l[0]) + "." + scalar(l[1])), true
	case "Fn::If":
		l := listOf(s.t, arg)
		if s.condition(scalar(l[0])) {
			return s.eval(l[1]), true
		}
		return s.eval(l[2]), true
	case "Fn::Sub":
		return s.sub(arg), true
	case "Fn::Join":
		l := listOf(s.t, arg)
		var parts []string
		for _, x := range listOf(s.t, s.eval(l[1])) {
			parts = append(parts, scalar(x))
		}
		return strings.Join(parts, scalar(l[0])), true
	case "Fn::Split":
		l := listOf(s.t, arg)
		var out []any
		for _, p := range strings.Split(scalar(s.eval(l[1])), scalar(l[0])) {
			out = append(out, p)
		}
		return out, true
	case "Fn::Select":
		l := listOf(s.t, arg)
		i, err := strconv.Atoi(scalar(s.eval(l[0])))
		list := listOf(s.t, s.eval(l[1]))
		if err != nil || i < 0 || i >= len(list) {
			s.t.Fatalf("Fn::Select %v out of range", arg)
		}
		return list[i], true
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		return s.condFunc(name, arg), true
	}
	return nil, false
}

// ref resolves a Ref: a parameter's value (a list for a CommaDelimitedList), a pseudo parameter, or a resource's
// logical ID.
func (s *stack) ref(name string) any {
	switch name {
	case "AWS::NoValue":
		return noValue{}
	case "AWS::Region":
		return testRegion
	case "AWS::AccountId":
		return testAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return testStack
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + testRegion + ":" + testAccount + ":stack/" + testStack + "/00000000-0000-0000-0000-000000000000"
	}
	if v, ok := s.params[name]; ok {
		if mapOf(s.t, mapOf(s.t, s.tmpl["Parameters"])[name])["Type"] == "CommaDelimitedList" {
			var out []any
			for _, p := range strings.Split(v, ",") {
				out = append(out, p)
			}
			return out
		}
		return v
	}
	if _, ok := mapOf(s.t, s.tmpl["Resources"])[name]; ok {
		return name
	}
	s.t.Fatalf("Ref %s: no such parameter or resource", name)
	return nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub: "${Param}", "${AWS::Region}", "${Resource}" and "${Resource.Attr}", with "${!x}" a literal.
func (s *stack) sub(arg any) string {
	text, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		text = scalar(a[0])
		vars = mapOf(s.t, a[1])
	}
	return subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		if v, ok := vars[name]; ok {
			return scalar(s.eval(v))
		}
		if logical, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			if _, ok := mapOf(s.t, s.tmpl["Resources"])[logical]; !ok {
				s.t.Fatalf("Fn::Sub %q: no resource %s", text, logical)
			}
			return attribute(logical + "." + attr)
		}
		return scalar(s.ref(name))
	})
}

// condition evaluates a named condition of the template.
func (s *stack) condition(name string) bool {
	if v, ok := s.conds[name]; ok {
		return v
	}
	if s.pending[name] {
		s.t.Fatalf("condition %s refers to itself", name)
	}
	def, ok := mapOf(s.t, s.tmpl["Conditions"])[name]
	if !ok {
		s.t.Fatalf("no condition %s", name)
	}
	s.pending[name] = true
	v := s.truth(def)
	delete(s.pending, name)
	s.conds[name] = v
	return v
}

func (s *stack) truth(v any) bool {
	m := mapOf(s.t, v)
	for k, arg := range m {
		return s.condFunc(k, arg)
	}
	s.t.Fatalf("empty condition")
	return false
}

func (s *stack) condFunc(name string, arg any) bool {
	switch name {
	case "Condition":
		return s.condition(scalar(arg))
	case "Fn::Equals":
		l := listOf(s.t, arg)
		return fmt.Sprint(s.eval(l[0])) == fmt.Sprint(s.eval(l[1]))
	case "Fn::Not":
		return !s.truth(listOf(s.t, arg)[0])
	case "Fn::And", "Fn::Or":
		and := name == "Fn::And"
		for _, c := range listOf(s.t, arg) {
			if s.truth(c) != and {
				return !and
			}
		}
		return and
	}
	s.t.Fatalf("%s is not a condition function", name)
	return false
}

// exists reports whether a resource (or output) is created: it has no Condition, or its condition holds.
func (s *stack) exists(section, logical string) bool {
	r, ok := mapOf(s.t, s.tmpl[section])[logical]
	if !ok {
		s.t.Fatalf("%s has no %s", section, logical)
	}
	c, ok := mapOf(s.t, r)["Condition"]
	return !ok || s.condition(scalar(c))
}

// resource returns a resource as written (unevaluated).
func (s *stack) resource(logical string) map[string]any {
	r, ok := mapOf(s.t, s.tmpl["Resources"])[logical]
	if !ok {
		s.t.Fatalf("no resource %s", logical)
	}
	return mapOf(s.t, r)
}

// props returns a resource's Properties, evaluated.
func (s *stack) props(logical string) map[string]any {
	return mapOf(s.t, s.eval(s.resource(logical)["Properties"]))
}

// resourcesOfType lists the logical IDs of the resources of one type that this stack creates.
func (s *stack) resourcesOfType(typ string) []string {
	var out []string
	for name, r := range mapOf(s.t, s.tmpl["Resources"]) {
		if mapOf(s.t, r)["Type"] == typ && s.exists("Resources", name) {
			out = append(out, name)
		}
	}
	return sortedStrings(out)
}

// path walks maps by key; it fails the test when a key is missing.
func path(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m := mapOf(t, v)
		next, ok := m[k]
		if !ok {
			t.Fatalf("no %s", strings.Join(keys[:i+1], "."))
		}
		v = next
	}
	return v
}

func mapOf(t *testing.T, v any) map[string]any {
	t.Helper()
	if v == nil {
		return map[string]any{}
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("want a mapping, got %T %v", v, v)
	}
	return m
}

func listOf(t *testing.T, v any) []any {
	t.Helper()
	switch v := v.(type) {
	case []any:
		return v
	case nil:
		return nil
	case string:
		return []any{v} // IAM allows a single string where a list is expected
	}
	t.Fatalf("want a list, got %T %v", v, v)
	return nil
}

// strs returns a string or a list of strings as a list.
func strs(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, x := range listOf(t, v) {
		out = append(out, scalar(x))
	}
	return out
}

// scalar renders a YAML scalar the way CloudFormation passes it on: as a string.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
