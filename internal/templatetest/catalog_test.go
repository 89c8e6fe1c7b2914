package templatetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
)

// TestCatalogTableMatchesCreateTableInput: the table the stack creates is the one the code creates locally
// (dynamostore.CreateTableInput): the same attribute definitions, key schema, indexes, index keys and projections,
// and on-demand billing. The code queries the indexes by name and writes the key attributes by name, so any drift
// is a table the functions cannot use.
func TestCatalogTableMatchesCreateTableInput(t *testing.T) {
	s := newStack(t, nil)
	if !s.exists("Resources", "CatalogTable") {
		t.Fatal("no catalog table at the defaults")
	}
	p := s.props("CatalogTable")
	want := dynamostore.CreateTableInput("x")

	if got := scalar(p["BillingMode"]); got != string(want.BillingMode) {
		t.Errorf("BillingMode %s, want %s", got, want.BillingMode)
	}
	var gotAttrs, wantAttrs []string
	for _, a := range listOf(t, p["AttributeDefinitions"]) {
		gotAttrs = append(gotAttrs, scalar(mapOf(t, a)["AttributeName"])+":"+scalar(mapOf(t, a)["AttributeType"]))
	}
	for _, a := range want.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	if !slices.Equal(sortedStrings(gotAttrs), sortedStrings(wantAttrs)) {
		t.Errorf("AttributeDefinitions %v, want %v", gotAttrs, wantAttrs)
	}
	var wantKey []string
	for _, k := range want.KeySchema {
		wantKey = append(wantKey, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if got := keySchema(t, p["KeySchema"]); !slices.Equal(got, wantKey) {
		t.Errorf("KeySchema %v, want %v", got, wantKey)
	}

	gotIdx := map[string]string{}
	for _, g := range listOf(t, p["GlobalSecondaryIndexes"]) {
		m := mapOf(t, g)
		gotIdx[scalar(m["IndexName"])] = fmt.Sprintf("%v %s", keySchema(t, m["KeySchema"]), scalar(path(t, m, "Projection", "ProjectionType")))
		if _, ok := m["ProvisionedThroughput"]; ok {
			t.Errorf("index %s has ProvisionedThroughput on an on-demand table", scalar(m["IndexName"]))
		}
	}
	wantIdx := map[string]string{}
	for _, g := range want.GlobalSecondaryIndexes {
		var ks []string
		for _, k := range g.KeySchema {
			ks = append(ks, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		wantIdx[aws.ToString(g.IndexName)] = fmt.Sprintf("%v %s", ks, g.Projection.ProjectionType)
	}
	if fmt.Sprint(gotIdx) != fmt.Sprint(wantIdx) {
		t.Errorf("GlobalSecondaryIndexes\n got %v\nwant %v", gotIdx, wantIdx)
	}
	// The indexes the roles name (TestRolesGrantWhatTheCodeUses) are the code's.
	for _, name := range []string{dynamostore.IndexOwner, dynamostore.IndexAll, dynamostore.IndexPending} {
		if _, ok := gotIdx[name]; !ok {
			t.Errorf("no index %s", name)
		}
	}
}

func keySchema(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, k := range listOf(t, v) {
		out = append(out, scalar(mapOf(t, k)["AttributeName"])+":"+scalar(mapOf(t, k)["KeyType"]))
	}
	return out
}

// TestCatalogIsKept: no stack operation can drop the catalog or the users who own its rows. The table and the user
// pool are retained on delete and on replacement, and both refuse deletion outright until protection is turned
// off; the table keeps 35 days of point-in-time backups and is encrypted with a KMS key.
func TestCatalogIsKept(t *testing.T) {
	s := newStack(t, nil)
	for _, logical := range []string{"CatalogTable", "UserPool", "ImageBucket"} {
		r := s.resource(logical)
		for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if got := scalar(r[policy]); got != "Retain" {
				t.Errorf("%s %s is %q, want Retain", logical, policy, got)
			}
		}
	}
	p := s.props("CatalogTable")
	if p["DeletionProtectionEnabled"] != true {
		t.Errorf("CatalogTable DeletionProtectionEnabled is %v", p["DeletionProtectionEnabled"])
	}
	if path(t, p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
		t.Error("CatalogTable has no point-in-time recovery")
	}
	if path(t, p, "SSESpecification", "SSEEnabled") != true {
		t.Error("CatalogTable SSE is not enabled")
	}
	if _, ok := p["TableName"]; ok {
		t.Error("CatalogTable has a fixed TableName: a retained table would block the next stack of the same name")
	}
	if got := scalar(s.props("UserPool")["DeletionProtection"]); got != "ACTIVE" {
		t.Errorf("UserPool DeletionProtection %q, want ACTIVE", got)
	}
}

// TestCatalogDriver: dynamodb (the default) creates the table and hands its name to every catalog function;
// mysql creates none and hands over the DB_* settings instead, and the rules refuse a mysql deploy without a host.
func TestCatalogDriver(t *testing.T) {
	for _, tc := range []struct {
		params  map[string]string
		table   bool
		present []string
		absent  []string
	}{
		{nil, true, []string{"CATALOG_TABLE"}, []string{"DB_HOST", "DB_PASSWORD"}},
		{map[string]string{"CatalogDriver": "mysql", "DbHost": "db.example.internal",
			"DbSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:imgpipe/db-AbCdEf"},
			false, []string{"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"}, []string{"CATALOG_TABLE"}},
	} {
		s := newStack(t, tc.params)
		driver := s.params["CatalogDriver"]
		if got := s.exists("Resources", "CatalogTable"); got != tc.table {
			t.Errorf("%s: CatalogTable created %v", driver, got)
		}
		for _, f := range []string{"UploadFunction", "ResizeFunction", "SweepFunction", "ServeFunction"} {
			env := environment(t, s, f)
			if env["CATALOG_DRIVER"] != driver {
				t.Errorf("%s/%s: CATALOG_DRIVER %q", driver, f, env["CATALOG_DRIVER"])
			}
			for _, k := range tc.present {
				if _, ok := env[k]; !ok {
					t.Errorf("%s/%s: no %s", driver, f, k)
				}
			}
			for _, k := range tc.absent {
				if _, ok := env[k]; ok {
					t.Errorf("%s/%s: %s is set", driver, f, k)
				}
			}
			if pw := env["DB_PASSWORD"]; pw != "" && !strings.HasPrefix(pw, "{{resolve:secretsmanager:") {
				t.Errorf("%s/%s: DB_PASSWORD is not a dynamic reference", driver, f)
			}
		}
	}
	rule := mapOf(t, path(t, template(t), "Rules", "MysqlNeedsHost"))
	if got := fmt.Sprint(rule["RuleCondition"]); got != "map[Fn::Equals:[map[Ref:CatalogDriver] mysql]]" {
		t.Errorf("MysqlNeedsHost applies when %s, want only with CatalogDriver=mysql", got)
	}
}

// TestSigningKey: the render signing key is generated by the stack (nothing to create by hand), long enough, and
// reaches the serve function only, by dynamic reference rather than as a parameter.
func TestSigningKey(t *testing.T) {
	s := newStack(t, nil)
	gen := mapOf(t, path(t, s.props("SigningKeySecret"), "GenerateSecretString"))
	if n, _ := gen["PasswordLength"].(int); n < 48 {
		t.Errorf("the signing key is %v characters, want at least 48", gen["PasswordLength"])
	}
	for _, f := range functions {
		if !s.exists("Resources", f.logical) {
			continue
		}
		v, ok := environment(t, s, f.logical)["SIGNING_KEY"]
		if f.logical != "ServeFunction" {
			if ok {
				t.Errorf("%s gets SIGNING_KEY", f.logical)
			}
			continue
		}
		if want := "{{resolve:secretsmanager:SigningKeySecret:SecretString}}"; v != want {
			t.Errorf("SIGNING_KEY %q, want %q", v, want)
		}
	}
	for name := range mapOf(t, template(t)["Parameters"]) {
		if strings.Contains(strings.ToLower(name), "signing") {
			t.Errorf("parameter %s: the signing key is the stack's own secret, not a parameter", name)
		}
	}
}
