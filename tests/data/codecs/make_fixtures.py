"""Writes the payload fixtures of tests/codecs.rs with encoders that are not mqtk's.

    python3 -m venv venv && venv/bin/pip install pysparkplug==0.6.1 cbor2==6.3.0 \
        msgpack==1.2.4 grpcio-tools==1.85.4 fastavro==1.13.1
    venv/bin/python make_fixtures.py      (in this folder)

Sparkplug B: pysparkplug's payload classes for the session (its own encoding of every
datatype it supports: integers, floats, times, arrays), and the protobuf classes it ships
(compiled from Eclipse Tahu's sparkplug_b.proto) for what it does not (DataSet, Template,
PropertySet). CBOR and MessagePack: cbor2 and msgpack. Protobuf: proto/reading.proto compiled
by grpcio-tools' protoc, the message written by Google's protobuf runtime. Avro: fastavro, a
raw datum and a single-object encoding (0xC3 0x01, the schema's CRC-64-AVRO fingerprint). Each fixture's expected JSON, as the
independent library reads its own payload back, goes in expected.json.
"""

import datetime
import json

import cbor2
import msgpack
import pysparkplug as sp
from pysparkplug import _protobuf as pb

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z, in milliseconds
D = sp.DataType
files = {}
expected = {}


def utc(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def rfc3339(ms):
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


# name, datatype, value: every datatype pysparkplug encodes, with values at the edges.
SCALARS = [
    ("bdSeq", D.INT64, 5),
    ("int8", D.INT8, -128),
    ("int16", D.INT16, -2),
    ("int32", D.INT32, -2147483648),
    ("int64", D.INT64, -9007199254740993),
    ("uint8", D.UINT8, 255),
    ("uint16", D.UINT16, 65535),
    ("uint32", D.UINT32, 4294967295),
    ("uint64", D.UINT64, 18446744073709551615),
    ("float", D.FLOAT, 21.5),
    ("double", D.DOUBLE, -0.125),
    ("boolean", D.BOOLEAN, True),
    ("string", D.STRING, "h\u00e9llo"),
    ("datetime", D.DATETIME, utc(T0 + 123)),
    ("text", D.TEXT, "a longer text"),
    ("uuid", D.UUID, "0b5d7c56-64d7-4e24-a0ad-b7c1d1a32fd5"),
    ("bytes", D.BYTES, b"\x00\x01\xfe\xff"),
    ("int8s", D.INT8_ARRAY, (-1, 0, 127)),
    ("int16s", D.INT16_ARRAY, (-300, 300)),
    ("int32s", D.INT32_ARRAY, (-70000, 70000)),
    ("int64s", D.INT64_ARRAY, (-5, 5000000000)),
    ("uint8s", D.UINT8_ARRAY, (0, 255)),
    ("uint16s", D.UINT16_ARRAY, (65535,)),
    ("uint32s", D.UINT32_ARRAY, (4294967295, 1)),
    ("uint64s", D.UINT64_ARRAY, (18446744073709551615,)),
    ("floats", D.FLOAT_ARRAY, (1.5, -2.25)),
    ("doubles", D.DOUBLE_ARRAY, (0.1, 1e300)),
    ("booleans", D.BOOLEAN_ARRAY, (True, False, True, True, False, False, False, False, True)),
    ("strings", D.STRING_ARRAY, ("a", "", "xyz")),
    ("datetimes", D.DATETIME_ARRAY, (utc(T0), utc(T0 + 1))),
]


def as_json(datatype, value):
    """A value as mqtk's JSON is expected to show it."""
    if datatype == D.DATETIME:
        return rfc3339(round(value.timestamp() * 1000))
    if datatype == D.DATETIME_ARRAY:
        return [rfc3339(round(v.timestamp() * 1000)) for v in value]
    if datatype == D.BYTES:
        import base64
        return base64.b64encode(value).decode()
    if isinstance(value, tuple):
        return list(value)
    return value


def name_of(datatype):
    names = {
        "INT8_ARRAY": "Int8Array", "INT16_ARRAY": "Int16Array", "INT32_ARRAY": "Int32Array",
        "INT64_ARRAY": "Int64Array", "UINT8_ARRAY": "UInt8Array", "UINT16_ARRAY": "UInt16Array",
        "UINT32_ARRAY": "UInt32Array", "UINT64_ARRAY": "UInt64Array",
        "FLOAT_ARRAY": "FloatArray", "DOUBLE_ARRAY": "DoubleArray",
        "BOOLEAN_ARRAY": "BooleanArray", "STRING_ARRAY": "StringArray",
        "DATETIME_ARRAY": "DateTimeArray", "UUID": "UUID", "DATETIME": "DateTime",
        "UINT8": "UInt8", "UINT16": "UInt16", "UINT32": "UInt32", "UINT64": "UInt64",
    }
    return names.get(datatype.name, datatype.name.capitalize())


def write(name, payload, expect):
    files[name] = payload
    expected[name] = expect


def metrics_expected(rows, with_alias):
    return [
        {"name": n, **({"alias": i + 1} if with_alias else {}), "datatype": name_of(t), "value": as_json(t, v)}
        for i, (n, t, v) in enumerate(rows)
    ]


# An edge node's session: births with every value and an alias for each, data by alias only.
nbirth = sp.NBirth(
    timestamp=T0,
    seq=0,
    metrics=tuple(
        sp.Metric(timestamp=T0, name=n, datatype=t, value=v, alias=i + 1)
        for i, (n, t, v) in enumerate(SCALARS)
    ),
)
write("nbirth", nbirth.encode(include_dtypes=True), metrics_expected(SCALARS, True))

DEVICE = [("rpm", D.UINT32, 1450), ("running", D.BOOLEAN, True), ("load", D.FLOAT, 0.75)]
dbirth = sp.DBirth(
    timestamp=T0 + 1,
    seq=1,
    metrics=tuple(
        sp.Metric(timestamp=T0 + 1, name=n, datatype=t, value=v, alias=100 + i)
        for i, (n, t, v) in enumerate(DEVICE)
    ),
)
write(
    "dbirth",
    dbirth.encode(include_dtypes=True),
    [{"name": n, "alias": 100 + i, "datatype": name_of(t), "value": v} for i, (n, t, v) in enumerate(DEVICE)],
)

# DATA: aliases only, no names, no datatypes (as pysparkplug sends them by default).
ndata = sp.NData(
    timestamp=T0 + 2,
    seq=2,
    metrics=(
        sp.Metric(timestamp=T0 + 2, name=None, datatype=D.INT8, value=-5, alias=2),
        sp.Metric(timestamp=T0 + 2, name=None, datatype=D.FLOAT, value=22.5, alias=10),
        sp.Metric(timestamp=T0 + 2, name=None, datatype=D.STRING_ARRAY, value=("q",), alias=29),
    ),
)
write(
    "ndata",
    ndata.encode(),
    [
        {"name": "int8", "alias": 2, "datatype": "Int8", "value": -5},
        {"name": "float", "alias": 10, "datatype": "Float", "value": 22.5},
        {"name": "strings", "alias": 29, "datatype": "StringArray", "value": ["q"]},
    ],
)
ddata = sp.DData(
    timestamp=T0 + 3,
    seq=3,
    metrics=(sp.Metric(timestamp=T0 + 3, name=None, datatype=D.UINT32, value=1500, alias=100),),
)
write("ddata", ddata.encode(), [{"name": "rpm", "alias": 100, "datatype": "UInt32", "value": 1500}])
# seq 4 never sent: a gap.
gap = sp.NData(
    timestamp=T0 + 5,
    seq=5,
    metrics=(sp.Metric(timestamp=T0 + 5, name=None, datatype=D.BOOLEAN, value=False, alias=12),),
)
write("ndata_gap", gap.encode(), [{"name": "boolean", "alias": 12, "datatype": "Boolean", "value": False}])
# An alias no BIRTH named.
unknown = sp.NData(
    timestamp=T0 + 6,
    seq=6,
    metrics=(sp.Metric(timestamp=T0 + 6, name=None, datatype=D.INT32, value=7, alias=999),),
)
write("ndata_unknown_alias", unknown.encode(), [{"alias": 999, "value": 7}])
for name, bd_seq in [("ndeath_stale", 4), ("ndeath", 5)]:
    death = sp.NDeath(
        timestamp=T0 + 7,
        bd_seq_metric=sp.Metric(timestamp=T0 + 7, name="bdSeq", datatype=D.INT64, value=bd_seq),
    )
    write(name, death.encode(include_dtypes=True), [{"name": "bdSeq", "datatype": "Int64", "value": bd_seq}])

# What pysparkplug does not encode, with the protobuf classes it ships.
payload = pb.Payload(timestamp=T0, seq=0)
m = payload.metrics.add(name="table", datatype=D.DATASET, timestamp=T0)
m.dataset_value.num_of_columns = 2
m.dataset_value.columns.extend(["id", "label"])
m.dataset_value.types.extend([D.INT16, D.STRING])
for i, label in [(-1, "first"), (2, "second")]:
    row = m.dataset_value.rows.add()
    row.elements.add(int_value=i & 0xFFFFFFFF)
    row.elements.add(string_value=label)
m = payload.metrics.add(name="motor", datatype=D.TEMPLATE)
m.template_value.version = "1.0"
m.template_value.template_ref = "Motor"
m.template_value.is_definition = False
m.template_value.parameters.add(name="poles", type=D.UINT8, int_value=4)
m.template_value.metrics.add(name="speed", datatype=D.DOUBLE, double_value=3.5)
m = payload.metrics.add(name="withprops", datatype=D.INT32, int_value=12)
m.properties.keys.extend(["engUnit", "limits"])
m.properties.values.add(type=D.STRING, string_value="rpm")
limits = m.properties.values.add(type=D.PROPERTYSET)
limits.propertyset_value.keys.append("max")
limits.propertyset_value.values.add(type=D.DOUBLE, double_value=9.5)
m = payload.metrics.add(name="missing", datatype=D.INT32, is_null=True, is_historical=True)
write(
    "structures",
    payload.SerializeToString(),
    [
        {
            "name": "table",
            "datatype": "DataSet",
            "value": {"columns": ["id", "label"], "types": ["Int16", "String"], "rows": [[-1, "first"], [2, "second"]]},
        },
        {
            "name": "motor",
            "datatype": "Template",
            "value": {
                "version": "1.0",
                "template_ref": "Motor",
                "is_definition": False,
                "parameters": [{"name": "poles", "type": "UInt8", "value": 4}],
                "metrics": [{"name": "speed", "datatype": "Double", "value": 3.5}],
            },
        },
        {
            "name": "withprops",
            "datatype": "Int32",
            "value": 12,
            "properties": {
                "engUnit": {"type": "String", "value": "rpm"},
                "limits": {"type": "PropertySet", "value": {"max": {"type": "Double", "value": 9.5}}},
            },
        },
        {"name": "missing", "datatype": "Int32", "value": None, "is_null": True, "is_historical": True},
    ],
)

# A host application's state, Sparkplug 3.0: JSON.
write("state.json", json.dumps({"online": True, "timestamp": T0}).encode(), {"online": True, "timestamp": rfc3339(T0)})

# CBOR and MessagePack of one document, with what JSON has no word for.
document = {"id": 7, "name": "pump", "temps": [21.5, -3.25], "ok": True, "none": None, "big": 2**63}
write("document.cbor", cbor2.dumps(dict(document, raw=b"\x01\x02")), dict(document, raw="AQI="))
write("document.msgpack", msgpack.packb(dict(document, raw=b"\x01\x02"), use_bin_type=True), dict(document, raw="AQI="))

# Protobuf: reading.proto through protoc, into a temporary folder.
import os
import sys
import tempfile

from grpc_tools import protoc

with tempfile.TemporaryDirectory() as out:
    code = protoc.main(["protoc", "-Iproto", "--python_out=" + out, "proto/reading.proto", "proto/common/units.proto"])
    assert code == 0, "protoc failed"
    sys.path.insert(0, out)
    import reading_pb2
    from common import units_pb2

    reading = reading_pb2.Reading(
        sensor="t-1", value=21.5, unit=units_pb2.CELSIUS, at_ms=T0, sequence=4294967295, ok=True,
        raw=b"\x00\xff", history=[1.5, -0.25], location=reading_pb2.Location(site="north", floor=-2),
        labels={"zone": "a"}, offset=-7,
    )
    write("reading.pb", reading.SerializeToString(), {
        "sensor": "t-1", "value": 21.5, "unit": "CELSIUS", "at_ms": T0, "sequence": 4294967295,
        "ok": True, "raw": "AP8=", "history": [1.5, -0.25],
        "location": {"site": "north", "floor": -2}, "labels": {"zone": "a"}, "offset": -7,
    })

# Avro: a raw datum, and the same as a single object.
import io
import fastavro

with open("reading.avsc") as f:
    avro_schema = fastavro.parse_schema(json.load(f))
record = {"sensor": "t-1", "value": 21.5, "count": 9007199254740993, "ok": True, "tags": ["a", "b"], "note": "hi"}
datum = io.BytesIO()
fastavro.schemaless_writer(datum, avro_schema, record)
fingerprint = bytes.fromhex(fastavro.schema.fingerprint(fastavro.schema.to_parsing_canonical_form(avro_schema), "CRC-64-AVRO"))
write("reading.avro", datum.getvalue(), record)
write("reading-single.avro", b"\xc3\x01" + fingerprint + datum.getvalue(), record)

for name, data in files.items():
    with open(name if "." in name else name + ".pb", "wb") as f:
        f.write(data)
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
    f.write("\n")
