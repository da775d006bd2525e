using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

public sealed class CgroupLocatorTests
{
    /// <summary>The hybrid layout of this project's machines: v1 controllers, and cgroup2 at /sys/fs/cgroup/unified.</summary>
    private const string Hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    /// <summary>A unified host (systemd's default), with optional fields before the separator.</summary>
    private const string Unified = """
        22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/root rw
        26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
        """;

    [Theory]
    [InlineData("9:name=systemd:/\n4:memory:/x\n0::/\n", "/")]
    [InlineData("0::/user.slice/user-1000.slice/app.scope\n", "/user.slice/user-1000.slice/app.scope")]
    [InlineData("4:memory:/x\n", null)]
    [InlineData("", null)]
    public void OwnPath_IsTheZeroLinesPath(string text, string? path)
    {
        Assert.Equal(path, CgroupLocator.OwnPath(text));
    }

    [Theory]
    [InlineData(Hybrid, "/", "/sys/fs/cgroup/unified")]
    [InlineData(Hybrid, "/a/b", "/sys/fs/cgroup/unified/a/b")]
    [InlineData(Unified, "/system.slice/job.service", "/sys/fs/cgroup/system.slice/job.service")]
    public void Directory_IsThePathUnderTheCgroup2Mount(string mountinfo, string own, string directory)
    {
        Assert.Equal(directory, CgroupLocator.Directory(own, mountinfo));
    }

    [Fact]
    public void Directory_UnderAMountOfASubtree_IsThePathBelowItsRoot()
    {
        const string bound = "50 40 0:38 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw";

        Assert.Equal("/sys/fs/cgroup/job", CgroupLocator.Directory("/kubepods/pod1/job", bound));
        Assert.Equal("/sys/fs/cgroup", CgroupLocator.Directory("/kubepods/pod1", bound));
        Assert.Null(CgroupLocator.Directory("/kubepods/pod10", bound));
    }

    [Fact]
    public void Directory_OfAMountPointWithASpace_IsUnescaped()
    {
        Assert.Equal("/mnt/my cgroups/x", CgroupLocator.Directory("/x", @"60 1 0:40 / /mnt/my\040cgroups rw - cgroup2 none rw"));
    }

    [Fact]
    public void Directory_WithoutACgroup2Mount_IsNull()
    {
        Assert.Null(CgroupLocator.Directory("/", "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"));
    }

    [Theory]
    [InlineData("usage_usec 1500000\nuser_usec 1000000\n", "usage_usec", 1500000L)]
    [InlineData("populated 0\nfrozen 0\n", "populated", 0L)]
    [InlineData("low 0\nhigh 0\nmax 0\noom 2\noom_kill 1\n", "oom_kill", 1L)]
    [InlineData("low 0\nhigh 0\nmax 0\noom 2\noom_kill 1\n", "oom", 2L)]
    [InlineData("user_usec 1\n", "usage_usec", null)]
    public void Field_IsTheNumberAfterTheKey(string text, string key, long? value)
    {
        Assert.Equal(value, AttemptCgroup.Field(text, key));
    }
}
