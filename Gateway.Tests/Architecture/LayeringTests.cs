using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Gateway.Tests.Architecture;

/// <summary>
/// The layering that docs/architecture.md draws: which project may use which (the compiler already refuses a
/// cycle between projects, not a reference in the wrong direction), and no cycle between the namespaces
/// (folders) inside a project, read from the compiled IL so that a fully qualified name or a same-namespace
/// shortcut cannot hide an edge.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Each project and the projects it may reference, lowest layer first.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Gateway.Core"] = [],
        ["Gateway.State"] = ["Gateway.Core"],
        ["Gateway.Feedback"] = ["Gateway.Core", "Gateway.State"],
        ["Gateway.Delivery"] = ["Gateway.Core", "Gateway.State", "Gateway.Feedback"],
        ["Gateway.Agent"] = ["Gateway.Core"],
        ["Gateway.ClientProxy"] = ["Gateway.Core"],
        ["Gateway.Tools"] = ["Gateway.Core", "Gateway.State", "Gateway.Feedback", "Gateway.Delivery"],
        ["Gateway"] = ["Gateway.Core", "Gateway.State", "Gateway.Feedback", "Gateway.Delivery", "Gateway.Agent", "Gateway.ClientProxy", "Gateway.Tools"],
    };

    public static TheoryData<string> Projects => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(Projects))]
    public void A_project_references_only_the_layers_below_it(string project)
    {
        var references = Assembly.Load(project).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n == "Gateway" || n.StartsWith("Gateway.", StringComparison.Ordinal))
            .ToList();

        Assert.All(references, r => Assert.Contains(r, Allowed[project]));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void The_namespaces_inside_a_project_depend_on_each_other_one_way(string project)
    {
        var graph = NamespaceGraph.Read(Assembly.Load(project).Location);

        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, $"{project} has namespace cycles:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void The_cycle_check_finds_a_cycle_when_there_is_one()
    {
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "A.X uses B.Y");
        graph.Add("B", "C", "B.Y uses C.Z");
        graph.Add("C", "A", "C.Z uses A.X");
        graph.Add("C", "D", "C.Z uses D.W");

        var cycle = Assert.Single(graph.Cycles());

        Assert.Equal(["A", "B", "C"], cycle.Order());
        Assert.Contains("C.Z uses A.X", graph.Describe(cycle), StringComparison.Ordinal);
    }

    /// <summary>Edges between the namespaces of one assembly, each with one example of the use that makes it.</summary>
    private sealed class NamespaceGraph
    {
        private readonly Dictionary<string, Dictionary<string, string>> _edges = new(StringComparer.Ordinal);

        public static NamespaceGraph Read(string assemblyPath)
        {
            var graph = new NamespaceGraph();
            using var module = ModuleDefinition.ReadModule(assemblyPath);
            foreach (var type in module.GetTypes())
            {
                var from = NamespaceOf(type);
                if (!IsOwn(from))
                {
                    continue;
                }

                foreach (var used in UsedTypes(type))
                {
                    if (used.Module == module && NamespaceOf(used) is var to && IsOwn(to) && to != from)
                    {
                        graph.Add(from, to, $"{type.FullName} uses {used.FullName}");
                    }
                }
            }

            return graph;
        }

        public void Add(string from, string to, string example)
        {
            if (!_edges.TryGetValue(from, out var targets))
            {
                _edges[from] = targets = new(StringComparer.Ordinal);
            }

            targets.TryAdd(to, example);
        }

        /// <summary>The strongly connected groups of more than one namespace (Tarjan).</summary>
        public List<List<string>> Cycles()
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var low = new Dictionary<string, int>(StringComparer.Ordinal);
            var stack = new Stack<string>();
            var onStack = new HashSet<string>(StringComparer.Ordinal);
            var found = new List<List<string>>();
            foreach (var node in _edges.Keys.Order(StringComparer.Ordinal))
            {
                if (!index.ContainsKey(node))
                {
                    Visit(node);
                }
            }

            return found;

            void Visit(string node)
            {
                index[node] = low[node] = index.Count;
                stack.Push(node);
                onStack.Add(node);
                foreach (var next in _edges.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>())
                {
                    if (!index.TryGetValue(next, out var seen))
                    {
                        Visit(next);
                        low[node] = Math.Min(low[node], low[next]);
                    }
                    else if (onStack.Contains(next))
                    {
                        low[node] = Math.Min(low[node], seen);
                    }
                }

                if (low[node] == index[node])
                {
                    var group = new List<string>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        group.Add(member);
                    }
                    while (member != node);
                    if (group.Count > 1)
                    {
                        found.Add(group);
                    }
                }
            }
        }

        public string Describe(List<string> cycle)
        {
            var members = cycle.ToHashSet(StringComparer.Ordinal);
            var lines = cycle.Order(StringComparer.Ordinal)
                .SelectMany(from => (_edges.GetValueOrDefault(from) ?? []).Where(e => members.Contains(e.Key)).Select(e => $"  {from} -> {e.Key}: {e.Value}"));
            return string.Join("\n", lines);
        }

        private static bool IsOwn(string ns) => ns == "Gateway" || ns.StartsWith("Gateway.", StringComparison.Ordinal);

        private static string NamespaceOf(TypeReference type)
        {
            while (type.DeclaringType is not null)
            {
                type = type.DeclaringType;
            }

            return type.Namespace;
        }

        private static List<TypeReference> UsedTypes(TypeDefinition type)
        {
            var found = new List<TypeReference>();
            Collect(type.BaseType);
            foreach (var i in type.Interfaces)
            {
                Collect(i.InterfaceType);
            }

            Attributes(type);
            foreach (var field in type.Fields)
            {
                Collect(field.FieldType);
                Attributes(field);
            }

            foreach (var property in type.Properties)
            {
                Collect(property.PropertyType);
                Attributes(property);
            }

            foreach (var method in type.Methods)
            {
                Collect(method.ReturnType);
                Attributes(method);
                foreach (var parameter in method.Parameters)
                {
                    Collect(parameter.ParameterType);
                }

                if (!method.HasBody)
                {
                    continue;
                }

                foreach (var local in method.Body.Variables)
                {
                    Collect(local.VariableType);
                }

                foreach (var instruction in method.Body.Instructions)
                {
                    Operand(instruction);
                }
            }

            return found;

            void Operand(Instruction instruction)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Collect(t);
                        break;
                    case MethodReference m:
                        Collect(m.DeclaringType);
                        Collect(m.ReturnType);
                        foreach (var p in m.Parameters)
                        {
                            Collect(p.ParameterType);
                        }

                        if (m is GenericInstanceMethod g)
                        {
                            foreach (var a in g.GenericArguments)
                            {
                                Collect(a);
                            }
                        }

                        break;
                    case FieldReference f:
                        Collect(f.DeclaringType);
                        Collect(f.FieldType);
                        break;
                }
            }

            void Attributes(Mono.Cecil.ICustomAttributeProvider provider)
            {
                foreach (var attribute in provider.CustomAttributes)
                {
                    Collect(attribute.AttributeType);
                }
            }

            void Collect(TypeReference? reference)
            {
                switch (reference)
                {
                    case null or GenericParameter:
                        return;
                    case GenericInstanceType generic:
                        Collect(generic.ElementType);
                        foreach (var argument in generic.GenericArguments)
                        {
                            Collect(argument);
                        }

                        return;
                    case TypeSpecification specification:
                        Collect(specification.ElementType);
                        return;
                    default:
                        found.Add(reference);
                        return;
                }
            }
        }
    }
}
