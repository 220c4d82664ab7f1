using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Doctor;

/// <summary>
/// The security file system, where the kernel lists its active LSMs (/sys/kernel/security/lsm). Minimal
/// systems do not mount it; mounting it is harmless (systemd does it at boot), so the probe does as root.
/// </summary>
internal static partial class SecurityFs
{
    private const string MountPoint = "/sys/kernel/security";
    private const string LsmList = MountPoint + "/lsm";

    /// <summary>
    /// The active LSMs in the kernel's order, or null when they cannot be read. <paramref name="note"/> says what
    /// was done or went wrong: "mounted securityfs at /sys/kernel/security", or why the list is unknown.
    /// </summary>
    public static string[]? ActiveLsms(out string? note)
    {
        note = null;
        if (!File.Exists(LsmList))
        {
            if (!Directory.Exists(MountPoint))
            {
                note = $"the kernel has no securityfs ({MountPoint} does not exist)";
                return null;
            }
            if (Mount("securityfs", MountPoint, "securityfs", 0, IntPtr.Zero) != 0)
            {
                int errno = LibC.LastErrno;
                note = errno is LibC.EPERM or LibC.EACCES
                    ? $"securityfs is not mounted and mounting it needs root: mount -t securityfs securityfs {MountPoint}"
                    : $"securityfs is not mounted and mounting it at {MountPoint} failed: {KernelErrors.Describe(errno)}";
                return null;
            }
            note = $"mounted securityfs at {MountPoint}";
            if (!File.Exists(LsmList))
            {
                note += $", but it has no {LsmList}";
                return null;
            }
        }
        try
        {
            return File.ReadAllText(LsmList).Trim().Split(',', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            note = $"cannot read {LsmList}: {e.Message}";
            return null;
        }
    }

    [LibraryImport(LibC.Name, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, IntPtr data);
}
