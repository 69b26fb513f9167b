//! Integration tests of the provider clients against loopback servers that check every request.
