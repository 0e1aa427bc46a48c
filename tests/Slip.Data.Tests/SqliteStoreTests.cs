namespace Slip.Data.Tests;

public sealed class SqliteStoreTests(SqliteDatabase database) : StoreContractTests(database), IClassFixture<SqliteDatabase>;
