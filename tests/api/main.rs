mod auth;
mod conventions;
mod foundation;
mod helpers;
mod imports;
mod matching;
mod outcomes;
mod program;
