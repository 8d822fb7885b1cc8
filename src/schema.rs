//! The `logs` table's columns: one enum that names every column, its Arrow
//! type and its place in the schema. Column names are a contract shared by
//! tests, reports and users' SQL (DESIGN.md), so they live in one place.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

macro_rules! columns {
    ($($variant:ident => $name:literal : $kind:ident,)*) => {
        /// One column of the `logs` table, in schema order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Column { $($variant,)* }

        impl Column {
            /// Every column, in schema order.
            pub const ALL: &'static [Column] = &[$(Column::$variant,)*];

            /// The column's name in SQL.
            pub const fn name(self) -> &'static str {
                match self { $(Column::$variant => $name,)* }
            }

            /// What kind of Arrow array holds the column.
            pub const fn kind(self) -> ColumnKind {
                match self { $(Column::$variant => ColumnKind::$kind,)* }
            }
        }
    };
}

columns! {
    BucketOwner => "bucket_owner": Text,
    Bucket => "bucket": Text,
    Time => "time": Timestamp,
    RemoteIp => "remote_ip": Text,
    Requester => "requester": Text,
    RequestId => "request_id": Text,
    Operation => "operation": Text,
    Key => "key": Text,
    RequestUri => "request_uri": Text,
    HttpStatus => "http_status": Int32,
    ErrorCode => "error_code": Text,
    BytesSent => "bytes_sent": Int64,
    ObjectSize => "object_size": Int64,
    TotalTimeMs => "total_time_ms": Int64,
    TurnAroundTimeMs => "turn_around_time_ms": Int64,
    Referer => "referer": Text,
    UserAgent => "user_agent": Text,
    VersionId => "version_id": Text,
    HostId => "host_id": Text,
    SignatureVersion => "signature_version": Text,
    CipherSuite => "cipher_suite": Text,
    AuthenticationType => "authentication_type": Text,
    HostHeader => "host_header": Text,
    TlsVersion => "tls_version": Text,
    AccessPointArn => "access_point_arn": Text,
    AclRequired => "acl_required": Text,
    SourceRegion => "source_region": Text,
    ExtraFields => "extra_fields": Text,
    SourceFile => "source_file": Text,
    SourceLine => "source_line": Int64,
    RequestMethod => "request_method": Text,
    RequestPath => "request_path": Text,
    HttpVersion => "http_version": Text,
    PresignVersion => "presign_version": Text,
    PresignAccessKeyId => "presign_access_key_id": Text,
    PresignSignedAt => "presign_signed_at": Timestamp,
    PresignExpiresAt => "presign_expires_at": Timestamp,
    PresignExpiresSeconds => "presign_expires_seconds": Int64,
    PresignHasSessionToken => "presign_has_session_token": Boolean,
    RequesterKind => "requester_kind": Text,
    RequesterAccount => "requester_account": Text,
    CredentialFailure => "credential_failure": Text,
}

/// The Arrow representation of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `Utf8View`: long values point into the parsed chunk's own buffer.
    Text,
    /// `Timestamp(Microsecond, "UTC")`.
    Timestamp,
    Int32,
    Int64,
    Boolean,
}

impl ColumnKind {
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Text => DataType::Utf8View,
            ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnKind::Int32 => DataType::Int32,
            ColumnKind::Int64 => DataType::Int64,
            ColumnKind::Boolean => DataType::Boolean,
        }
    }
}

impl Column {
    /// The Arrow field of this column; every column is nullable except the
    /// provenance columns, which every row has.
    pub fn field(self) -> Field {
        let nullable = !matches!(self, Column::SourceFile | Column::SourceLine | Column::Time);
        Field::new(self.name(), self.kind().data_type(), nullable)
    }

    /// True for the columns computed from other fields rather than read.
    pub fn is_derived(self) -> bool {
        (self as usize) >= (Column::RequestMethod as usize)
    }
}

/// The full `logs` schema, in column order.
pub fn logs_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> =
        LazyLock::new(|| Arc::new(Schema::new(Column::ALL.iter().map(|c| c.field()).collect::<Vec<_>>())));
    SCHEMA.clone()
}

/// The schema of a projection (indices into [`Column::ALL`]).
pub fn projected_schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(columns.iter().map(|c| c.field()).collect::<Vec<_>>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_every_contract_column_in_order() {
        let schema = logs_schema();
        assert_eq!(schema.fields().len(), 42);
        assert_eq!(schema.field(0).name(), "bucket_owner");
        assert_eq!(schema.field(26).name(), "source_region");
        assert_eq!(schema.field(27).name(), "extra_fields");
        assert_eq!(schema.field(41).name(), "credential_failure");
        assert_eq!(
            schema.field_with_name("time").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        assert_eq!(schema.field_with_name("http_status").unwrap().data_type(), &DataType::Int32);
        for (i, c) in Column::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{} out of order", c.name());
        }
    }

    #[test]
    fn derived_columns_start_at_request_method() {
        assert!(!Column::SourceLine.is_derived());
        assert!(Column::RequestMethod.is_derived());
        assert!(Column::CredentialFailure.is_derived());
    }
}
