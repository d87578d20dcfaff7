mod auth;
mod foundation;
mod helpers;
