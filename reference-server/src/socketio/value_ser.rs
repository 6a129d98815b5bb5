//! Serialising Rust values straight into event arguments ([`Value`]), so that bytes stay binary:
//! whatever serde serialises as bytes (`serialize_bytes`: `bytes::Bytes`, `serde_bytes`, a
//! field with `serialize_with`) becomes a binary attachment, as a Node `Buffer` would. Everything
//! else is what `serde_json` would make of it (numbers as JavaScript numbers, `None` and `()` as
//! `null`, enums externally tagged, object keys in JavaScript's order); a `Vec<u8>` is a
//! sequence to serde, hence an array of numbers, as in `serde_json`.

use serde::ser::{self, Serialize};
use sio_protocol::binary::js_object;

use super::Value;

/// The error type: serde_json's, so that `to_value` keeps its signature.
type Error = serde_json::Error;

/// `value` as one event argument.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

struct ValueSerializer;

/// An array being built (sequences, tuples, tuple structs; a tuple variant wraps it).
struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

/// An object being built (maps, structs; a struct variant wraps it).
struct MapBuilder {
    entries: Vec<(String, Value)>,
    next_key: Option<String>,
    variant: Option<&'static str>,
}

fn tagged(variant: Option<&'static str>, value: Value) -> Value {
    match variant {
        Some(name) => Value::Object(vec![(name.to_owned(), value)]),
        None => value,
    }
}

fn number<N: Into<f64>>(n: N) -> Result<Value, Error> {
    Ok(Value::Number(n.into()))
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Number(v as f64))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::Number(v as f64))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        number(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Binary(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        Ok(tagged(Some(variant), value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            next_key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len),
            next_key: None,
            variant: Some(variant),
        })
    }
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn finish(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, Value::Array(self.items)))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

/// An object key: what `serde_json` accepts as one (strings, numbers, bools, chars).
fn key_string(key: Value) -> Result<String, Error> {
    match key {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(sio_protocol::js::number_to_string(n)),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ser::Error::custom(
            "an object key must be a string or a number",
        )),
    }
}

impl MapBuilder {
    fn finish(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, js_object(self.entries)))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.next_key = Some(key_string(key.serialize(ValueSerializer)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        self.entries.push((key, value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entries
            .push((key.to_owned(), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entries
            .push((key.to_owned(), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes as serde sees them.
    struct Raw(&'static [u8]);

    impl Serialize for Raw {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Dot,
        Circle(u8),
        Rect { w: u8, h: u8 },
    }

    /// The same as through `serde_json` for everything but bytes, which stay binary.
    #[test]
    fn as_serde_json_would_but_bytes_stay_binary() {
        let cases =
            serde_json::json!({"b": [1, 2.5, null, "x"], "10": true, "2": {"z": 1, "a": 2}});
        assert_eq!(to_value(&cases).unwrap(), Value::from(&cases));
        let mut map = std::collections::BTreeMap::new();
        map.insert("k", Raw(b"\x01\x02"));
        let v = to_value(&(1u64, Some("s"), None::<u8>, map, vec![7u8])).unwrap();
        assert_eq!(v.to_json(), r#"[1,"s",null,{"k":{"$binary":"0102"}},[7]]"#);
        assert!(v.has_binary());
        let shapes = to_value(&[Shape::Dot, Shape::Circle(3), Shape::Rect { w: 1, h: 2 }]);
        assert_eq!(
            shapes.unwrap().to_json(),
            r#"["Dot",{"Circle":3},{"Rect":{"w":1,"h":2}}]"#
        );
        let bad = to_value(&std::collections::HashMap::from([((1, 2), 3)]));
        assert!(bad.is_err());
    }
}
