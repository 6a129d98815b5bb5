//! Event arguments: the JavaScript-shaped values of `sio_protocol::binary::Value` (binary leaves
//! included), and typed access to them through serde.
//!
//! ```text
//! handler argument   what it receives
//! Vec<Value>         every argument as sent (binary kept)
//! Data<T>            the first argument deserialised as T (missing → null)
//! Json<T>            the argument array deserialised as T (a tuple, a Vec, …)
//! ```
//! A binary leaf deserialises as an array of bytes (`Vec<u8>`).

use serde::Serialize;
use serde::de::DeserializeOwned;
pub use sio_protocol::binary::Value;

/// Arguments that do not deserialise into the handler's type; the event is dropped.
#[derive(Debug, thiserror::Error)]
#[error("event arguments do not match the handler's type: {0}")]
pub struct ArgsError(#[from] serde_json::Error);

/// How a handler takes the arguments of an event or an ack.
pub trait FromArgs: Sized {
    /// Converts the arguments (the ack callback, if any, is not among them).
    fn from_args(args: Vec<Value>) -> Result<Self, ArgsError>;
}

impl FromArgs for Vec<Value> {
    fn from_args(args: Vec<Value>) -> Result<Self, ArgsError> {
        Ok(args)
    }
}

/// The first argument, deserialised.
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T>(pub T);

impl<T: DeserializeOwned> FromArgs for Data<T> {
    fn from_args(args: Vec<Value>) -> Result<Self, ArgsError> {
        let first = args.first().map_or(serde_json::Value::Null, to_json);
        Ok(Data(serde_json::from_value(first)?))
    }
}

/// The whole argument array, deserialised.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromArgs for Json<T> {
    fn from_args(args: Vec<Value>) -> Result<Self, ArgsError> {
        let all = serde_json::Value::Array(args.iter().map(to_json).collect());
        Ok(Json(serde_json::from_value(all)?))
    }
}

/// A value as `serde_json` sees it: integral numbers as integers, binary as an array of bytes.
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => sio_protocol::view::number(*n),
        Value::String(s) => J::String(s.clone()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Value::Binary(b) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
    }
}

/// A serialisable value as an argument (object keys ordered as JavaScript orders them; what
/// serde serialises as bytes becomes binary, see `value_ser`).
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, serde_json::Error> {
    super::value_ser::to_value(v)
}

/// A `serde_json::Value` as an argument.
pub fn json(v: &serde_json::Value) -> Value {
    Value::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_views_of_arguments() {
        let args = vec![
            Value::String("r1".into()),
            Value::Number(2.0),
            Value::Binary(vec![1, 2]),
        ];
        let Data(room): Data<String> = FromArgs::from_args(args.clone()).unwrap();
        assert_eq!(room, "r1");
        let Json((a, b, c)): Json<(String, u32, Vec<u8>)> = FromArgs::from_args(args).unwrap();
        assert_eq!((a.as_str(), b, c), ("r1", 2, vec![1, 2]));
        assert!(<Data<u32>>::from_args(vec![Value::String("x".into())]).is_err());
        assert_eq!(
            to_value(&serde_json::json!({"b":1,"1":2}))
                .unwrap()
                .to_json(),
            r#"{"1":2,"b":1}"#
        );
    }
}
