//! Counter structs: every module keeps its own plain `u64` counters (no atomics on the hot path);
//! workers send snapshots to the control lcore, which adds them up and writes `stats` events.

/// Declares a counter struct whose fields are all `u64`, with `Serialize`, `Default`, `Clone`
/// and an `add` that sums another snapshot into this one.
#[macro_export]
macro_rules! counters {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $field:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
        pub struct $name { $($(#[$fm])* pub $field: u64),* }
        impl $name {
            /// Adds every counter of `other` into `self`.
            pub fn add(&mut self, other: &Self) { $(self.$field += other.$field;)* }
        }
    };
}
