package dynamostore

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// expr collects the names and values an expression refers to. Every attribute is referred to through a name
// placeholder, "#" and its own name, because several of ours (status, owner, bytes, key...) are DynamoDB reserved
// words; values get a placeholder named after what they are, so that an expression reads as the rule it states
// ("#status = :pending") and the package doc can quote it. It is written out rather than built with the SDK's
// expression package: the expressions are few and fixed, and as plain strings they can be documented and tested
// as they are sent.
type expr struct {
	names  map[string]string
	values map[string]types.AttributeValue
}

func newExpr() *expr {
	return &expr{names: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// n returns the placeholder of attribute name.
func (e *expr) n(name string) string {
	p := "#" + name
	e.names[p] = name
	return p
}

// v returns the placeholder :label bound to value. A label is bound once per request: binding it again to another
// value would be a bug in this package, so the second value is ignored.
func (e *expr) v(label string, value types.AttributeValue) string {
	p := ":" + label
	if _, ok := e.values[p]; !ok {
		e.values[p] = value
	}
	return p
}

// attrNames and attrValues are the maps a request takes; nil when empty, since DynamoDB rejects an empty map.
func (e *expr) attrNames() map[string]string {
	if len(e.names) == 0 {
		return nil
	}
	return e.names
}

func (e *expr) attrValues() map[string]types.AttributeValue {
	if len(e.values) == 0 {
		return nil
	}
	return e.values
}

// update collects the clauses of an update expression.
type update struct {
	set, remove []string
}

func (u *update) String() string {
	var b strings.Builder
	if len(u.set) > 0 {
		b.WriteString("SET " + strings.Join(u.set, ", "))
	}
	if len(u.remove) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("REMOVE " + strings.Join(u.remove, ", "))
	}
	return b.String()
}
