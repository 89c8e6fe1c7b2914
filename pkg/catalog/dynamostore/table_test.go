package dynamostore

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateTable is idempotent, also when two processes run it at once (make run and a test, two migrations), and
// never adopts a table whose keys or indexes differ.
func TestCreateTable(t *testing.T) {
	ep := testEndpoint(t)
	client := testClient(t, ep)
	name := newTable(t, client)
	if err := CreateTable(t.Context(), client, name); err != nil {
		t.Fatalf("CreateTable on an existing table: %v", err)
	}
	out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSchema(out.Table); err != nil || !active(out.Table) || len(out.Table.GlobalSecondaryIndexes) != 3 {
		t.Errorf("created table: %v, active %v, %d indexes", err, active(out.Table), len(out.Table.GlobalSecondaryIndexes))
	}

	// Two at once on a new name.
	racing := name + "_race"
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = CreateTable(t.Context(), client, racing) })
	}
	wg.Wait()
	t.Cleanup(func() { client.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(racing)}) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent CreateTable #%d: %v", i+1, err)
		}
	}

	// A table of that name without the pending index, and one keyed otherwise.
	for what, mutate := range map[string]func(*dynamodb.CreateTableInput){
		"missing index": func(in *dynamodb.CreateTableInput) {
			// Without pending-index, pendingKey is no key and may not be declared.
			in.GlobalSecondaryIndexes = in.GlobalSecondaryIndexes[:2]
			in.AttributeDefinitions = slices.DeleteFunc(in.AttributeDefinitions, func(d types.AttributeDefinition) bool {
				return aws.ToString(d.AttributeName) == attrPendingKey
			})
		},
		"other key": func(in *dynamodb.CreateTableInput) {
			in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(attrListKey), KeyType: types.KeyTypeRange})
		},
	} {
		other := name + "_" + map[string]string{"missing index": "noidx", "other key": "key"}[what]
		in := CreateTableInput(other)
		mutate(in)
		if _, err := client.CreateTable(t.Context(), in); err != nil {
			t.Fatalf("%s: create: %v", what, err)
		}
		t.Cleanup(func() { client.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(other)}) })
		if err := CreateTable(t.Context(), client, other); !errors.Is(err, ErrSchema) {
			t.Errorf("%s: got %v, want ErrSchema", what, err)
		}
	}
}
