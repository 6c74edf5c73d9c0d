//! The router in virtual time: one test per sentence of SPEC §2, §4 (after hours) and §5.

mod crm_cases;
mod harness;
mod queues;
mod records;
mod schedule_routing;
