package templatetest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
)

// statement is one IAM policy statement, evaluated.
type statement struct {
	sid       string
	effect    string
	actions   []string
	resources []string
	condition map[string]any
}

// statements returns the statements of a role's inline policies.
func statements(t *testing.T, s *stack, role string) []statement {
	t.Helper()
	var out []statement
	for _, p := range listOf(t, s.props(role)["Policies"]) {
		for _, st := range listOf(t, path(t, p, "PolicyDocument", "Statement")) {
			m := mapOf(t, st)
			out = append(out, statement{sid: scalar(m["Sid"]), effect: scalar(m["Effect"]), actions: strs(t, m["Action"]),
				resources: strs(t, m["Resource"]), condition: mapOf(t, m["Condition"])})
		}
	}
	return out
}

// grants flattens a role's Allow statements into action -> sorted resources, leaving out the logs permissions
// (TestFunctionLogsAndRoles checks those).
func grants(t *testing.T, s *stack, role string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, st := range statements(t, s, role) {
		if st.effect != "Allow" {
			continue
		}
		for _, a := range st.actions {
			if !strings.HasPrefix(a, "logs:") {
				out[a] = append(out[a], st.resources...)
			}
		}
	}
	for a, r := range out {
		out[a] = sortedStrings(r)
	}
	return out
}

// wantGrants is the permission table of deploy/README.md, written in terms of the function's own environment:
// each object resource is a prefix the function is configured with, so a role that grants a prefix its code does
// not use, or misses one it does, fails. The catalog permissions are dynamostore's operations per function
// (package doc, Permissions): GetItem, PutItem, UpdateItem, DeleteItem on the table, Query on the indexes.
func wantGrants(t *testing.T, s *stack, f lambdaFunc) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	add := func(action string, resources ...string) { want[action] = append(want[action], resources...) }
	if f.logical == "AuthorizerFunction" {
		return want
	}
	env := environment(t, s, f.logical)
	bucket := "arn:aws:s3:::" + env["BUCKET"]
	prefix := func(vars ...string) []string {
		var out []string
		for _, v := range vars {
			p, ok := env[v]
			if !ok || p == "" {
				t.Fatalf("%s has no %s in its environment", f.logical, v)
			}
			out = append(out, bucket+"/"+p+"*")
		}
		return out
	}
	table := "{CatalogTable.Arn}"
	index := func(name string) string { return table + "/index/" + name }
	dynamo := s.condition("UseDynamo")
	switch f.logical {
	case "UploadFunction":
		add("s3:PutObject", prefix("STAGING_PREFIX")...)
		add("s3:DeleteObject", prefix("STAGING_PREFIX", "OUTPUT_PREFIX", "ORIGINALS_PREFIX", "FAILED_PREFIX", "CACHE_PREFIX")...)
		add("s3:GetObject", prefix("OUTPUT_PREFIX")...)
		add("s3:ListBucket", bucket)
		if dynamo {
			add("dynamodb:GetItem", table)
			add("dynamodb:PutItem", table)
			add("dynamodb:DeleteItem", table)
			add("dynamodb:Query", index(dynamostore.IndexOwner), index(dynamostore.IndexAll))
		}
	case "ResizeFunction":
		add("s3:GetObject", prefix("STAGING_PREFIX")...)
		add("s3:DeleteObject", prefix("STAGING_PREFIX")...)
		add("s3:PutObject", prefix("OUTPUT_PREFIX", "ORIGINALS_PREFIX", "FAILED_PREFIX")...)
		add("s3:ListBucket", bucket)
		add("sqs:SendMessage", "{ResizeDLQ.Arn}")
		if dynamo {
			add("dynamodb:GetItem", table)
			add("dynamodb:PutItem", table)
			add("dynamodb:UpdateItem", table)
		}
	case "SweepFunction":
		add("s3:GetObject", prefix("STAGING_PREFIX")...)
		add("s3:PutObject", prefix("STAGING_PREFIX")...)
		add("s3:ListBucket", bucket)
		add("sqs:ReceiveMessage", "{ResizeDLQ.Arn}")
		add("sqs:DeleteMessage", "{ResizeDLQ.Arn}")
		if dynamo {
			add("dynamodb:GetItem", table)
			add("dynamodb:UpdateItem", table)
			add("dynamodb:Query", index(dynamostore.IndexPending))
		}
	case "ServeFunction":
		add("s3:GetObject", prefix("ORIGINALS_PREFIX", "CACHE_PREFIX")...)
		if env["SOURCE_PREFIX"] != "" {
			add("s3:GetObject", prefix("SOURCE_PREFIX")...)
		}
		add("s3:PutObject", prefix("CACHE_PREFIX")...)
		add("s3:ListBucket", bucket)
		if dynamo {
			add("dynamodb:GetItem", table)
		}
	default:
		t.Fatalf("no permission table for %s: add it here and to deploy/README.md", f.logical)
	}
	if key := s.params["KmsKeyArn"]; key != "" {
		add("kms:GenerateDataKey", key)
		add("kms:Decrypt", key)
	}
	for a, r := range want {
		want[a] = sortedStrings(r)
	}
	return want
}

// TestRolesGrantWhatTheCodeUses compares each role with the permission table, for the variants that change it:
// the catalog backend, a KMS key and a source prefix for the renders.
func TestRolesGrantWhatTheCodeUses(t *testing.T) {
	for _, v := range []struct {
		name   string
		params map[string]string
	}{
		{"defaults", nil},
		{"mysql", map[string]string{"CatalogDriver": "mysql", "DbHost": "db.example.internal"}},
		{"kms and source prefix", map[string]string{"KmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"SourcePrefix": "library/", "AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app"}},
	} {
		s := newStack(t, v.params)
		for _, f := range functions {
			if !s.exists("Resources", f.logical) {
				continue
			}
			t.Run(v.name+"/"+f.logical, func(t *testing.T) {
				got, want := grants(t, s, f.role), wantGrants(t, s, f)
				for _, a := range sortedStrings(slices.Collect(maps.Keys(mergeKeys(got, want)))) {
					if !slices.Equal(got[a], want[a]) {
						t.Errorf("%s on %v, want %v", a, got[a], want[a])
					}
				}
			})
		}
	}
}

func mergeKeys(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestListBucketConditions: a role that lists only to find keys under one prefix says so with s3:prefix; the roles
// whose ListBucket exists to turn a missing key's 403 into a 404 must not, because GetObject and HeadObject carry
// no s3:prefix and a condition would take the 404 away again (see the IAM note in the template).
func TestListBucketConditions(t *testing.T) {
	s := newStack(t, nil)
	want := map[string]string{ // role -> required s3:prefix pattern, "" for none
		"UploadFunctionRole": environment(t, s, "UploadFunction")["CACHE_PREFIX"] + "*",
		"ResizeFunctionRole": "",
		"SweepFunctionRole":  "",
		"ServeFunctionRole":  "",
	}
	for role, prefix := range want {
		var found bool
		for _, st := range statements(t, s, role) {
			if !slices.Contains(st.actions, "s3:ListBucket") {
				continue
			}
			found = true
			got := ""
			if len(st.condition) > 0 {
				got = scalar(path(t, st.condition, "StringLike", "s3:prefix"))
			}
			if got != prefix {
				t.Errorf("%s: s3:ListBucket with s3:prefix %q, want %q", role, got, prefix)
			}
		}
		if !found {
			t.Errorf("%s has no s3:ListBucket", role)
		}
	}
}

// TestNoBroadS3Writes: no Allow statement anywhere in the template lets anything write or delete objects on "*",
// on the whole bucket, or with a wildcard action.
func TestNoBroadS3Writes(t *testing.T) {
	for _, v := range variants {
		s := newStack(t, v.params)
		bucketObjects := "arn:aws:s3:::" + s.params["BucketNamePrefix"] + "-" + testAccount + "-" + testRegion + "/*"
		for _, name := range append(s.resourcesOfType("AWS::IAM::Role"), s.resourcesOfType("AWS::IAM::Policy")...) {
			for _, st := range statements(t, s, name) {
				if st.effect != "Allow" {
					continue
				}
				for _, a := range st.actions {
					if !strings.HasPrefix(a, "s3:") && a != "*" {
						continue
					}
					write := a == "*" || strings.Contains(a, "*") || strings.HasPrefix(a, "s3:Put") || strings.HasPrefix(a, "s3:Delete")
					for _, r := range st.resources {
						if write && (r == "*" || r == bucketObjects || !strings.Contains(r, "/")) {
							t.Errorf("%s/%s (%s): %s on %s", v.name, name, st.sid, a, r)
						}
					}
				}
			}
		}
	}
}

// TestPoliciesHaveNoEmptyStatements guards the !If/AWS::NoValue pattern the roles use: a branch that evaluated to
// an empty statement would be refused by IAM at deploy time.
func TestPoliciesHaveNoEmptyStatements(t *testing.T) {
	for _, v := range variants {
		s := newStack(t, v.params)
		for _, role := range s.resourcesOfType("AWS::IAM::Role") {
			for i, st := range statements(t, s, role) {
				if len(st.actions) == 0 || len(st.resources) == 0 || st.effect == "" {
					t.Errorf("%s/%s statement %d is incomplete: %+v", v.name, role, i, st)
				}
			}
		}
	}
}

func (st statement) String() string {
	return fmt.Sprintf("%s %s %v on %v", st.sid, st.effect, st.actions, st.resources)
}
