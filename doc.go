// Package touchbase is the domain of touchbase, a chat assistant for B2B sales
// teams that work the way "The Model" describes: Marketing produces leads,
// Inside Sales qualifies them with BANT, Field Sales advances opportunities
// through the stages and Customer Success keeps the won accounts.
//
// This package holds the entities (Lead, Opportunity, Activity, ...), the
// stage list with its gates, BANT, the follow-up cadence, the parsing of
// amounts, dates and names as reps type them, and the error codes that the
// chat platforms turn into replies. It does no I/O and imports only the
// standard library; the store, the handlers and the chat platforms implement
// and use it in its own terms.
package touchbase
