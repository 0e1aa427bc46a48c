using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Slip.Training.Tests;

/// <summary>
/// Reads compiled code for Scalars passed to libtorch without being held (see Slip.Training.Torch.HeldScalars).
/// <para>
/// From TorchSharp's own IL it first finds every TorchSharp method that makes a Scalar it does not dispose (an implicit
/// conversion, <c>ToScalar</c> or <c>new Scalar</c> with no <c>Dispose</c> in the same method), and every method that
/// calls one of those, transitively: <c>Tensor + Tensor</c> (alpha = 1), <c>add_(Scalar)</c>, <c>arange(Scalar)</c>,
/// <c>AdamW.step</c>, <c>BatchNorm.forward</c> and so on. Then, in the audited assembly, a finding is:
/// </para>
/// <list type="bullet">
/// <item>an implicit conversion to Scalar;</item>
/// <item>a call to one of those TorchSharp methods;</item>
/// <item>a <c>ToScalar</c> whose result is not put in a local that the method disposes (<c>using var</c>), in a field
/// of a disposable holder (held while the holder is), or in a static field (a root for the process's life);</item>
/// <item>making a TorchSharp module or optimizer (its constructor or a factory returning it) whose <c>forward</c> or
/// <c>step</c> is one of those methods.</item>
/// </list>
/// </summary>
internal static class ScalarAudit
{
    private static readonly Lazy<HashSet<string>> Unheld = new(FindUnheldInTorchSharp);

    /// <summary>The findings in <paramref name="assemblyPath"/>, as "Type::Method: what" lines; only types passing <paramref name="include"/>.</summary>
    public static List<string> Audit(string assemblyPath, Func<TypeDefinition, bool>? include = null)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath, new ReaderParameters { AssemblyResolver = Resolver() });
        var findings = new List<string>();
        foreach (var type in module.GetTypes().Where(t => include?.Invoke(t) ?? true))
        {
            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                findings.AddRange(Inspect(method).Select(f => $"{type.FullName}::{method.Name}: {f}"));
            }
        }

        return findings;
    }

    /// <summary>How many TorchSharp methods make a Scalar they do not hold, transitively.</summary>
    public static int UnheldInTorchSharp => Unheld.Value.Count;

    private static IEnumerable<string> Inspect(MethodDefinition method)
    {
        var instructions = method.Body.Instructions;
        var disposedLocals = DisposedLocals(instructions);
        for (var i = 0; i < instructions.Count; i++)
        {
            if (instructions[i].Operand is not MethodReference target || !IsCall(instructions[i].OpCode))
            {
                continue;
            }

            var declaring = target.DeclaringType.FullName;
            if (declaring == "TorchSharp.Scalar" && target.Name == "op_Implicit")
            {
                yield return $"an implicit Scalar from {target.Parameters[0].ParameterType.Name}";
            }
            else if (declaring == "TorchSharp.ScalarExtensionMethods" && target.Name == "ToScalar")
            {
                var next = i + 1 < instructions.Count ? instructions[i + 1] : null;
                var local = next is null ? null : StoredLocal(next, method);
                var inHolder = next?.OpCode == OpCodes.Stfld && method.DeclaringType.Interfaces.Any(i => i.InterfaceType.FullName == "System.IDisposable");
                if (next?.OpCode != OpCodes.Stsfld && !inHolder && (local is null || !disposedLocals.Contains(local.Index)))
                {
                    yield return "a ToScalar not held in a using variable, a disposable holder's field or a static field";
                }
            }
            else if (Unheld.Value.Contains(Key(target)))
            {
                yield return $"calls TorchSharp's {target.DeclaringType.Name}.{target.Name}, which passes Scalars it does not hold";
            }
            else if (IsTorchSharp(target.DeclaringType) && UnheldModuleType(instructions[i].OpCode == OpCodes.Newobj ? target.DeclaringType : target.ReturnType) is { } made)
            {
                yield return $"makes TorchSharp's {made}, whose forward or step passes Scalars it does not hold";
            }
        }
    }

    private static bool IsCall(OpCode code) =>
        code == OpCodes.Call || code == OpCodes.Callvirt || code == OpCodes.Newobj || code == OpCodes.Ldftn || code == OpCodes.Ldvirtftn;

    private static string Key(MethodReference m) =>
        $"{m.DeclaringType.GetElementType().FullName}::{m.Name}({string.Join(",", m.Parameters.Select(p => p.ParameterType.FullName))})";

    /// <summary>Locals loaded right before a Dispose call: what <c>using var</c> compiles to.</summary>
    private static HashSet<int> DisposedLocals(IList<Instruction> instructions)
    {
        var disposed = new HashSet<int>();
        for (var i = 0; i + 1 < instructions.Count; i++)
        {
            var load = LoadedLocal(instructions[i]);
            if (load is not null && instructions[i + 1].Operand is MethodReference { Name: "Dispose" })
            {
                disposed.Add(load.Value);
            }
        }

        return disposed;
    }

    private static int? LoadedLocal(Instruction i) =>
        i.OpCode.Code switch
        {
            Code.Ldloc_0 => 0,
            Code.Ldloc_1 => 1,
            Code.Ldloc_2 => 2,
            Code.Ldloc_3 => 3,
            Code.Ldloc or Code.Ldloc_S => ((VariableDefinition)i.Operand).Index,
            _ => null,
        };

    private static VariableDefinition? StoredLocal(Instruction i, MethodDefinition method) =>
        i.OpCode.Code switch
        {
            Code.Stloc_0 => method.Body.Variables[0],
            Code.Stloc_1 => method.Body.Variables[1],
            Code.Stloc_2 => method.Body.Variables[2],
            Code.Stloc_3 => method.Body.Variables[3],
            Code.Stloc or Code.Stloc_S => (VariableDefinition)i.Operand,
            _ => null,
        };

    private static bool IsTorchSharp(TypeReference type) => type.Scope.Name.StartsWith("TorchSharp", StringComparison.Ordinal);

    /// <summary>The name of a TorchSharp type whose forward or step (its own or inherited) is in the unheld set.</summary>
    private static string? UnheldModuleType(TypeReference reference)
    {
        if (!IsTorchSharp(reference) || reference.IsValueType || reference.IsGenericParameter)
        {
            return null;
        }

        var found = new HashSet<string>();
        for (var type = Resolve(reference); type is not null; type = type.BaseType is { } b ? Resolve(b) : null)
        {
            foreach (var method in type.Methods.Where(m => m.Name is "forward" or "step" && m.HasBody && found.Add(m.Name)))
            {
                if (Unheld.Value.Contains(Key(method)))
                {
                    return reference.Name;
                }
            }
        }

        return null;
    }

    private static TypeDefinition? Resolve(TypeReference reference)
    {
        try
        {
            return reference.Resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static DefaultAssemblyResolver Resolver()
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!);
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        return resolver;
    }

    private static HashSet<string> FindUnheldInTorchSharp()
    {
        using var torchSharp = ModuleDefinition.ReadModule(typeof(TorchSharp.torch).Assembly.Location, new ReaderParameters { AssemblyResolver = Resolver() });
        var callees = new Dictionary<string, List<string>>();
        var unheld = new HashSet<string>();
        foreach (var method in torchSharp.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            var key = Key(method);
            var calls = new List<string>();
            var (makes, disposes) = (false, false);
            foreach (var target in method.Body.Instructions.Where(i => IsCall(i.OpCode)).Select(i => i.Operand).OfType<MethodReference>())
            {
                var declaring = target.DeclaringType.FullName;
                makes |= (declaring == "TorchSharp.Scalar" && target.Name is "op_Implicit" or ".ctor") || (declaring == "TorchSharp.ScalarExtensionMethods" && target.Name == "ToScalar");
                disposes |= declaring == "TorchSharp.Scalar" && target.Name == "Dispose";
                calls.Add(Key(target));
            }

            if (makes && !disposes)
            {
                unheld.Add(key);
            }

            callees[key] = calls;
        }

        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (key, calls) in callees)
            {
                if (!unheld.Contains(key) && calls.Any(unheld.Contains))
                {
                    changed |= unheld.Add(key);
                }
            }
        }

        return unheld;
    }
}
