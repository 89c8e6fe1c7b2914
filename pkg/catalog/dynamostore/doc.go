// Package dynamostore is the DynamoDB backend of catalog.Store.
package dynamostore
