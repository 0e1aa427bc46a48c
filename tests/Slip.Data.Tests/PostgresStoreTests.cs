namespace Slip.Data.Tests;

/// <summary>Needs SLIP_TEST_POSTGRES (./test.sh sets it); without it every test here fails with that message.</summary>
public sealed class PostgresStoreTests(PostgresDatabase database) : StoreContractTests(database), IClassFixture<PostgresDatabase>;
