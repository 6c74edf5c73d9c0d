//! B2BUA tests (see the endpoint call tests).
