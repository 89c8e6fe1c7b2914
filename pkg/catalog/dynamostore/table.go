package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The global secondary indexes. Each has listKey as its sort key and projects ALL attributes, so a listing is one
// Query with no second read per row.
const (
	// IndexOwner lists one owner's images: partition key owner, which images without an owner do not have.
	IndexOwner = "owner-index"
	// IndexAll lists every image: partition key allKey, the same value on every item. See the package doc for
	// what one partition means for write throughput.
	IndexAll = "all-index"
	// IndexPending lists pending images: partition key pendingKey, which exists only while an image is pending.
	IndexPending = "pending-index"
)

// ErrSchema is returned by CreateTable when a table of that name exists with other keys or indexes than this
// package needs. CreateTable never changes an existing table.
var ErrSchema = errors.New("dynamostore: the table has another schema")

// TableAPI is what CreateTable needs: the IAM actions dynamodb:CreateTable and dynamodb:DescribeTable, which only
// the local tools (make run, the tests, catalog-migrate -create-table) use; deployed functions never call them.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

var _ TableAPI = (*dynamodb.Client)(nil)

// CreateTableInput is the table's definition: the attribute definitions, key schema and indexes that the SAM
// template's AWS::DynamoDB::Table must match, on-demand (PAY_PER_REQUEST). Only key attributes are declared;
// every other attribute is schemaless.
func CreateTableInput(table string) *dynamodb.CreateTableInput {
	s := types.ScalarAttributeTypeS
	gsi := func(name, partition string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(partition), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrListKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrID), AttributeType: s},
			{AttributeName: aws.String(attrOwner), AttributeType: s},
			{AttributeName: aws.String(attrAllKey), AttributeType: s},
			{AttributeName: aws.String(attrPendingKey), AttributeType: s},
			{AttributeName: aws.String(attrListKey), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(attrID), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(IndexOwner, attrOwner),
			gsi(IndexAll, attrAllKey),
			gsi(IndexPending, attrPendingKey),
		},
	}
}

// CreateTable creates table with CreateTableInput's schema if it does not exist, and waits until the table and its
// indexes are ACTIVE (at most until ctx ends, or 5 minutes without a deadline). It is idempotent: an existing table
// with the right schema is left as it is, one with another schema is ErrSchema.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
	}
	desc, err := describe(ctx, client, table)
	if err != nil {
		return err
	}
	if desc == nil {
		_, err := client.CreateTable(ctx, CreateTableInput(table))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) { // in use: another process created it first
			return wrap("dynamostore: create table "+table, err)
		}
	} else if err := checkSchema(desc); err != nil {
		return err
	}
	return waitActive(ctx, client, table)
}

// describe returns the table's description, nil if there is no such table.
func describe(ctx context.Context, client TableAPI, table string) (*types.TableDescription, error) {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("dynamostore: describe table "+table, err)
	}
	return out.Table, nil
}

// waitActive polls until the table and every index are ACTIVE, from 50 ms apart up to 2 s: a local server takes
// milliseconds, DynamoDB seconds to a minute.
func waitActive(ctx context.Context, client TableAPI, table string) error {
	wait := 50 * time.Millisecond
	for {
		desc, err := describe(ctx, client, table)
		if err != nil {
			return err
		}
		if desc != nil && active(desc) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamostore: table %s is not ACTIVE: %w", table, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func active(desc *types.TableDescription) bool {
	if desc.TableStatus != types.TableStatusActive {
		return false
	}
	for _, g := range desc.GlobalSecondaryIndexes {
		if g.IndexStatus != types.IndexStatusActive {
			return false
		}
	}
	return true
}

// checkSchema compares an existing table's keys and indexes with CreateTableInput's. Extra indexes are allowed
// (an operator may add one); a missing or different one is not, since a query on it would fail or be wrong.
func checkSchema(desc *types.TableDescription) error {
	want := CreateTableInput(aws.ToString(desc.TableName))
	if !sameKeys(desc.KeySchema, want.KeySchema) {
		return fmt.Errorf("%w: %s is not keyed by %s alone", ErrSchema, aws.ToString(desc.TableName), attrID)
	}
	for _, w := range want.GlobalSecondaryIndexes {
		i := slices.IndexFunc(desc.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool {
			return aws.ToString(g.IndexName) == aws.ToString(w.IndexName)
		})
		if i < 0 {
			return fmt.Errorf("%w: %s has no index %s", ErrSchema, aws.ToString(desc.TableName), aws.ToString(w.IndexName))
		}
		g := desc.GlobalSecondaryIndexes[i]
		if !sameKeys(g.KeySchema, w.KeySchema) || g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			return fmt.Errorf("%w: index %s of %s has other keys or does not project ALL", ErrSchema,
				aws.ToString(w.IndexName), aws.ToString(desc.TableName))
		}
	}
	return nil
}

func sameKeys(got, want []types.KeySchemaElement) bool {
	return slices.EqualFunc(got, want, func(a, b types.KeySchemaElement) bool {
		return aws.ToString(a.AttributeName) == aws.ToString(b.AttributeName) && a.KeyType == b.KeyType
	})
}
