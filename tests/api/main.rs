mod foundation;
mod helpers;
