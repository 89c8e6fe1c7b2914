// Package dynamostore is the DynamoDB backend of catalog.Store: one item per image in one table, three global
// secondary indexes for the listings, and every write a single conditional request, so that the rules of
// catalog.Settle hold under concurrent S3 events without a transaction or a read before the write.
//
// # Table
//
// The table is keyed by id (S) alone and is on-demand (PAY_PER_REQUEST). CreateTableInput is its definition,
// which the SAM template matches: attribute definitions id, owner, allKey, pendingKey and listKey, all S; no other
// attribute is declared.
//
//	index          partition key       sort key      projection   holds
//	(table)        id                  -             -            every image
//	owner-index    owner               listKey       ALL          images with an owner (IndexOwner)
//	all-index      allKey ("all")      listKey       ALL          every image (IndexAll)
//	pending-index  pendingKey          listKey       ALL          pending images only (IndexPending)
//
// listKey is CreatedAt in 18-digit zero-padded Unix microseconds, "#", and the id, e.g.
// "001740838212123456#0192f5b4-…": strings sort by it exactly as (CreatedAt, ID) do, the SQL backends' ORDER BY,
// so catalog's keyset Cursor means the same here. owner is left out of an image that has none (an index key may
// not be an empty string), which keeps it out of owner-index. pendingKey ("pending") is written only while an image
// is pending and removed by every write that completes or expires it, so pending-index holds only what the sweep
// looks for.
//
// # Items
//
// The other attributes are the fields of catalog.Image under their JSON names: status, origin, filename,
// contentType, stagingKey, sourceEtag, originalKey, failureReason (S), bytes, width, height (N), fields (M of S),
// derivatives (L of M: width, height, bytes N, key, contentType S), createdAt, updatedAt, expiresAt (S,
// "2006-01-02T15:04:05.000000Z", UTC, fixed width so the text sorts as the time). Empty strings, zeros and empty
// maps and lists are left out; absent reads back as the zero value.
//
// A pending upload is about 460 bytes and a ready one with three derivatives about 910 (TestCapacity), both within
// the first 1 KB write unit. The largest item catalog.Validate allows, with the upload function's default form
// limits (32 fields, 8 KB), is 98,440 bytes, 24% of DynamoDB's 400 KB (TestWorstCaseItemSize): 64 derivatives with
// 1 KB keys are 86 KB of it. Validate does not bound the form fields, and MAX_FIELD_BYTES may be set up to 1 MiB, so
// every write computes the item's size first and refuses one over 400 KB as catalog.ErrInvalid before sending it
// (MaxItemBytes); an update that would grow a stored item past the limit is refused by DynamoDB and also comes back
// as ErrInvalid, with nothing written.
//
// # Writes
//
// Each write is one request with a condition expression; a failed condition is never returned as it is but turned
// into the catalog sentinel, using the item DynamoDB returns with the failure (ReturnValuesOnConditionCheckFailure
// ALL_OLD) to tell why.
//
//	Create       PutItem     attribute_not_exists(#id)                               failed: ErrExists
//	Claim        UpdateItem  attribute_exists(#id) AND #stagingKey = :stagingKey AND
//	                         ((#status = :pending AND attribute_not_exists(#sourceEtag)) OR
//	                          (#status = :failed AND (attribute_not_exists(#sourceEtag) OR #sourceEtag <> :sourceEtag)))
//	MarkReady    UpdateItem  attribute_exists(#id) AND #stagingKey = :stagingKey AND
//	                         (((#status = :pending AND (attribute_not_exists(#sourceEtag) OR #sourceEtag = :sourceEtag))
//	                           OR #status = :failed) OR
//	                          (#status = :ready AND #sourceEtag = :sourceEtag))
//	MarkFailed   UpdateItem  attribute_exists(#id) AND #stagingKey = :stagingKey AND
//	                         ((#status = :pending AND (attribute_not_exists(#sourceEtag) OR #sourceEtag = :sourceEtag))
//	                          OR #status = :failed)
//	  (console)  PutItem     attribute_not_exists(#id)         for a missing console row, tried first
//	Expire       UpdateItem  #status = :pending AND attribute_not_exists(#sourceEtag)  failed: ErrConflict / ErrNotFound
//	Delete       DeleteItem  attribute_exists(#id)                                   failed: ErrNotFound
//	Import       PutItem     attribute_not_exists(#id) OR #updatedAt < :updatedAt    failed: skipped
//
// MarkReady and MarkFailed SET status, updatedAt, sourceEtag and each value the result carries (catalog.Settle's
// merge: a zero value keeps what is stored; owner, origin, createdAt and expiresAt are never touched) and REMOVE
// pendingKey, and failureReason unless failed. When their condition fails, the old item goes through
// catalog.Settle: another staging key, an expired row or another ETag once ready is ErrConflict, a failure over a
// ready row is nil (ready wins), a missing upload row is ErrNotFound, and a missing console row is created with the
// PutItem. Only a missing row comes back without an item, and only then is the row read (consistently) to be sure;
// servers that do not implement ALL_OLD, dynalite among them, take that read for every failed condition, which is
// slower but gives the same answers. If the row changed between the failed write and what decided it, the write is
// tried again, at most four times. TestConditionsAgreeWithSettle holds the conditions to catalog.Settle over 80
// combinations of stored row and result, both ways.
//
// # Reads and listings
//
// Get is a strongly consistent GetItem, so a row reads back as the last write left it. List queries owner-index
// or all-index newest first, ListPending pending-index oldest first. The cursor becomes a condition on the sort
// key (#listKey < :cursor for List; BETWEEN, > or < for ListPending with its before bound), so a page starts
// strictly after the previous one whether or not the cursor's row still exists or is still in the index (the sweep
// expires the very rows it listed). A page asks for n+1 items, the extra one saying whether there is a next page,
// and follows LastEvaluatedKey when a Query stops at its 1 MB limit first, so a page with a next cursor is always
// full (TestPagesPastOneMegabyte).
//
// Global secondary indexes are eventually consistent: an index entry follows its item, usually within a fraction of
// a second.
// A listing right after Create may not show the new row yet, or may show a row as it was just before its last
// write; the API's answer to an upload and GET /images/{id} (Get) are the read-after-write paths. Paging keeps its
// promises for what the index shows: no row twice (each page starts after the last key seen) and no row skipped
// that was in the index when its place was read; a row whose entry arrives late, like one created while a client
// pages, is seen on a later listing. The sweep may list a row that was completed a moment ago; Expire's condition
// makes that harmless (ErrConflict).
//
// # Throughput
//
// Capacity per operation for a typical row (TestCapacity; the table's units are checked against what dynalite
// reports, the index writes, which dynalite does not report, follow the rules of the DynamoDB developer guide):
//
//	upload         Create 4 WCU (table 1, owner 1, all 1, pending 1) + MarkReady 4 WCU (the same, pending a delete) = 8 WCU
//	console photo  MarkReady creating the row: 2 WCU (table 1, all 1; no owner, never pending)
//	duplicate S3 event for a ready row: MarkReady again 3 WCU; a late MarkFailed over it: 1 WCU (the failed condition)
//	direct upload that expires: Create 4 WCU + Expire 4 WCU
//	delete         3 WCU
//	Get            1 RCU (consistent, up to 4 KB)
//	List page      20 rows of an owner: 21 items read, about 10 KB, 1.5 RCU (eventually consistent)
//
// all-index and pending-index each put every item in one partition (allKey and pendingKey have one value). A
// partition takes at most 1,000 write units a second, and a global secondary index that cannot keep up throttles
// the table's writes too. Each upload writes each of the two indexes twice, so that ceiling is about 500 uploads a
// second, sustained, whatever the table's capacity; DynamoDB's split for heat does not lift it, since every write
// goes to the newest end of the sort key. The pipeline is far below that (an upload is a Lambda invocation of a
// second or more). The way past it is write sharding: allKey = "all#" + (hash(id) mod N), and List running the same
// #listKey < :cursor query on the N shards and merging them, N queries per page. The cursor would not change, so
// clients would not notice; it is not worth N times the read cost and a merge until uploads approach a few hundred
// a second.
//
// # Errors
//
// Throttling (ProvisionedThroughputExceededException, ThrottlingException, RequestLimitExceeded), 5xx answers,
// network errors and timeouts are retried by the SDK, DefaultMaxAttempts tries with jittered backoff capped at
// DefaultMaxBackoff, each attempt bounded by DefaultAttemptTimeout and all by the caller's context; after that they
// come back wrapped in ErrUnavailable (the API's 503, a retry of the Lambda event). Since each write is one
// request, nothing is half written.
//
// # Permissions
//
// The functions need dynamodb:GetItem, PutItem, UpdateItem, DeleteItem on the table and dynamodb:Query on its
// indexes (arn:…:table/NAME/index/*), the methods of Client; CreateTable and DescribeTable are only for the local
// tools (TableAPI). There is no Scan, no transaction and no TTL: the sweep expires rows through pending-index, and
// expired rows are kept, as in SQL.
//
// # Testing
//
// The contract suite (catalogtest) runs against dynalite, a DynamoDB-protocol server in Node.js
// (scripts/dynalite.sh), which implements condition and update expressions, global secondary indexes, the 400 KB
// and 1 MB limits and consumed capacity for the table, but not ReturnValuesOnConditionCheckFailure. It runs a second
// time through a proxy that adds the old item to every failed condition as DynamoDB does (TestContractAllOld), so
// that both ways of explaining a failure are held to the contract.
package dynamostore
