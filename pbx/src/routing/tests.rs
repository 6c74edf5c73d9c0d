//! The router in virtual time: one test per sentence of SPEC §2, §4 (after hours) and §5.

mod crm_cases;
mod harness;
mod properties;
mod queues;
mod records;
mod schedule_routing;
mod transfers;
