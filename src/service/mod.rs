//! Applications as gservice built them: typed, layered settings.

pub mod settings;
