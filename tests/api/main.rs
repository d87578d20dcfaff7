mod auth;
mod conventions;
mod foundation;
mod helpers;
mod program;
