using System.Runtime.InteropServices;

namespace BudgetRun.Ledgers;

/// <summary>
/// Whether OpenSSL can be loaded (with its libcrypto): the Native AOT binary needs it only once TLS
/// is used, and the runtime aborts the process (SIGABRT) when it needs OpenSSL and finds none, so a
/// store asks first and fails closed with a line instead.
/// </summary>
internal static class OpenSsl
{
    /// <summary>The sonames .NET probes for OpenSSL, newest first.</summary>
    private static readonly string[] _names = ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10", "libssl.so"];

    public static bool Loads()
    {
        foreach (var name in _names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return true;
            }
        }
        return false;
    }
}
