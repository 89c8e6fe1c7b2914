package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Client is the part of the DynamoDB API the store uses; *dynamodb.Client implements it. It is also the list of
// IAM actions a function's role needs on the table and its indexes (Query on the index ARNs).
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Store is the DynamoDB catalog.Store: one item per image in one table with three global secondary indexes (see
// the package doc). It holds no connection of its own, so it is cheap to create, safe for concurrent use, and Close
// does nothing.
type Store struct {
	client Client
	table  string
	// capacity, when set, is called with the capacity each request consumed, and requests then ask DynamoDB for
	// it (ReturnConsumedCapacity INDEXES). The capacity test uses it.
	capacity func(op string, c *types.ConsumedCapacity)
}

var _ catalog.Store = (*Store)(nil)

// New returns a Store on table through client. The table must have the schema CreateTableInput describes.
func New(client Client, table string) *Store {
	return &Store{client: client, table: table}
}

// returnCapacity is what requests ask for: nothing unless a capacity observer is set.
func (s *Store) returnCapacity() types.ReturnConsumedCapacity {
	if s.capacity == nil {
		return types.ReturnConsumedCapacityNone
	}
	return types.ReturnConsumedCapacityIndexes
}

func (s *Store) observe(op string, c *types.ConsumedCapacity) {
	if s.capacity != nil && c != nil {
		s.capacity(op, c)
	}
}

// observeFailed reports the capacity of a write whose condition failed: DynamoDB charges it too, but returns it
// in no output.
func (s *Store) observeFailed(op string) {
	if s.capacity != nil {
		s.capacity(op+" (condition failed)", nil)
	}
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrID: str(id)}
}

// Create implements catalog.Store with one PutItem whose condition, attribute_not_exists(#id), makes a taken id
// ErrExists without a read.
func (s *Store) Create(ctx context.Context, img *catalog.Image) error {
	if err := catalog.Validate(img); err != nil {
		return err
	}
	row := *img
	row.Status, row.FailureReason, row.SourceETag = catalog.StatusPending, "", ""
	if row.Origin == "" {
		row.Origin = catalog.OriginUpload
	}
	row.UpdatedAt = catalog.Now()
	row.CreatedAt = catalog.NormTime(img.CreatedAt)
	if row.CreatedAt.IsZero() {
		row.CreatedAt = row.UpdatedAt
	}
	if err := s.putNew(ctx, "create", &row); err != nil {
		if _, ok := conditionFailed(err); ok {
			return fmt.Errorf("create %s: %w", img.ID, catalog.ErrExists)
		}
		return wrap("create "+img.ID, err)
	}
	img.Status, img.Origin, img.FailureReason, img.SourceETag = row.Status, row.Origin, "", ""
	img.CreatedAt, img.UpdatedAt = row.CreatedAt, row.UpdatedAt
	return nil
}

// putNew writes row as a new item: PutItem with attribute_not_exists(#id). A failed condition is returned as the
// SDK's ConditionalCheckFailedException, carrying the existing item where the server returns it, for the caller
// to interpret.
func (s *Store) putNew(ctx context.Context, op string, row *catalog.Image) error {
	item := marshal(row)
	if n := itemSize(item); n > MaxItemBytes {
		return fmt.Errorf("%s %s: %w: the item is %d bytes, over DynamoDB's %d", op, row.ID, catalog.ErrInvalid, n, MaxItemBytes)
	}
	e := newExpr()
	out, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(" + e.n(attrID) + ")"),
		ExpressionAttributeNames:            e.attrNames(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              s.returnCapacity(),
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			s.observeFailed(op)
		}
		return err
	}
	s.observe(op, out.ConsumedCapacity)
	return nil
}

// Get implements catalog.Store with a strongly consistent GetItem, so that a row reads back as the last write left
// it (the indexes do not promise that; see List).
func (s *Store) Get(ctx context.Context, id string) (*catalog.Image, error) {
	img, err := s.get(ctx, "get", id)
	if err != nil {
		return nil, err
	}
	if img == nil {
		return nil, fmt.Errorf("get %s: %w", id, catalog.ErrNotFound)
	}
	return img, nil
}

// get reads the row for id, nil if there is none.
func (s *Store) get(ctx context.Context, op, id string) (*catalog.Image, error) {
	if !catalog.ValidID(id) {
		// No such row can exist, and DynamoDB rejects an empty key.
		return nil, nil
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.table),
		Key:                    key(id),
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: s.returnCapacity(),
	})
	if err != nil {
		return nil, wrap(op+" "+id, err)
	}
	s.observe(op, out.ConsumedCapacity)
	if len(out.Item) == 0 {
		return nil, nil
	}
	return unmarshal(out.Item)
}

// Delete implements catalog.Store with one DeleteItem whose condition, attribute_exists(#id), tells a missing row
// without a read.
func (s *Store) Delete(ctx context.Context, id string) error {
	if !catalog.ValidID(id) {
		return fmt.Errorf("delete %q: %w", id, catalog.ErrNotFound)
	}
	e := newExpr()
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(id),
		ConditionExpression:      aws.String("attribute_exists(" + e.n(attrID) + ")"),
		ExpressionAttributeNames: e.attrNames(),
		ReturnConsumedCapacity:   s.returnCapacity(),
	})
	if err != nil {
		if _, ok := conditionFailed(err); ok {
			s.observeFailed("delete")
			return fmt.Errorf("delete %s: %w", id, catalog.ErrNotFound)
		}
		return wrap("delete "+id, err)
	}
	s.observe("delete", out.ConsumedCapacity)
	return nil
}

// pingID is an id no image can have (catalog.ValidID refuses spaces), so Ping reads an item that is never there.
const pingID = " ping"

// Ping implements catalog.Store: an eventually consistent GetItem of an item that does not exist, half a read
// unit, which needs no permission beyond what the store uses anyway (DescribeTable would).
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pingID)})
	if err != nil {
		return wrap("dynamostore: ping "+s.table, err)
	}
	return nil
}

// Close implements catalog.Store. The SDK client has nothing to release: its idle HTTP connections are closed by
// the transport's idle timeout, and a Lambda container keeps them for its next invocation.
func (s *Store) Close() error { return nil }
