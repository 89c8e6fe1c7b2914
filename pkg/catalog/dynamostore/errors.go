package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// ErrUnavailable marks a failure of DynamoDB or of the way to it, after the SDK's retries: throttling
// (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded), a 5xx answer such as
// InternalServerError, a network error or an attempt that timed out. The request was not applied, or, for a
// timeout, applied whole or not at all, since every write is one conditional request. The API answers 503 and the
// resize function returns the error so that Lambda retries the event. The SDK's own error stays in the chain for
// errors.As.
var ErrUnavailable = errors.New("dynamostore: DynamoDB unavailable")

// throttleCodes are the error codes DynamoDB throttles with. The SDK already retries them; reaching the caller means
// the retries ran out.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"ReplicatedWriteConflictException":       true,
}

// wrap adds what was being done to err and marks it ErrUnavailable when DynamoDB could not be reached or would not
// serve. A ValidationException for an item over 400 KB becomes catalog.ErrInvalid. Condition failures never get
// here: each write turns them into a catalog sentinel first.
func wrap(op string, err error) error {
	switch {
	case unavailable(err):
		return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
	case tooLarge(err):
		return fmt.Errorf("%s: %w: the item would exceed DynamoDB's %d-byte limit: %w", op, catalog.ErrInvalid, MaxItemBytes, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func unavailable(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && throttleCodes[apiErr.ErrorCode()] {
		return true
	}
	var ise *types.InternalServerError
	if errors.As(err, &ise) {
		return true
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	// An attempt timeout (the HTTP client's) or the caller's deadline: DynamoDB did not answer in time.
	return errors.Is(err, context.DeadlineExceeded)
}

// tooLarge recognises DynamoDB's answer to a write that would make an item larger than 400 KB. An update can only
// find out on the server, since the merged item is built there.
func tooLarge(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" &&
		strings.Contains(apiErr.ErrorMessage(), "exceeded the maximum allowed size")
}

// conditionFailed reports whether err is a failed condition expression and returns the item as it was when the
// condition was evaluated, when DynamoDB returned it (ReturnValuesOnConditionCheckFailure ALL_OLD, and the item
// existed). A nil item with ok set means either that there was no item or that the server does not return it.
func conditionFailed(err error) (item map[string]types.AttributeValue, ok bool) {
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return nil, false
	}
	if len(ccf.Item) == 0 {
		return nil, true
	}
	return ccf.Item, true
}
