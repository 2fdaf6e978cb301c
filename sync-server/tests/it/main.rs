//! The sync server's integration tests: real servers on 127.0.0.1, real HTTP, real SQLite
//! files on both sides.

mod admin;
mod authz;
mod background;
mod convergence;
mod custody;
mod digit;
mod fuzz_corpus;
mod hardening;
mod hostile;
mod http_api;
mod instances;
mod ledger;
mod office;
mod office_browser;
mod office_export;
mod office_rejections;
mod office_review;
mod parking;
mod photos;
mod postgres;
mod quotas;
mod receipts;
mod schema;
mod security;
mod server_crash;
mod simulation;
mod support;
