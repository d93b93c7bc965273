#!/usr/bin/env python3
"""Where the bytes of the Native AOT binary go (issue 19). Python 3 standard library only.

    # publish with the ILC's size statistics and report (about 3-4 minutes per publish):
    tests/size/size-report.py publish linux-x64 /tmp/sz/x64
    tests/size/size-report.py publish linux-arm64 /tmp/sz/arm64 [-p:Prop=Value ...]
    # report on a folder made by `publish` (appliance, appliance.mstat, appliance.map.xml):
    tests/size/size-report.py report /tmp/sz/arm64 [--baseline /tmp/sz/arm64-before] [--top 25]

`publish` runs the same `dotnet publish` as `build.ps1 publish` (cross properties for arm64) with
-p:IlcGenerateMstatFile=true -p:IlcGenerateMapFile=true (they do not change the binary) and copies the
binary, the .mstat and the .map.xml into the folder. `report` prints:
  - the ELF sections of the binary (file bytes),
  - the ILC's object nodes by kind (map.xml),
  - machine code, GC info, EH info and type structures by assembly and by namespace (mstat): each
    generic instantiation counts for the assembly that defines the generic type or method
    (List<Appliance.X> is System.Private.CoreLib's), an array for its element type,
  - the largest methods, types and data blobs.
Type structures (MethodTables, dictionaries) are stored dehydrated (compressed) in the file and
expanded at start; the "file est." columns scale them by the dehydration ratio of this binary.
With --baseline, every table also shows the change against the other folder.
"""

import argparse
import collections
import os
import re
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = os.path.join(ROOT, "src", "Appliance", "Appliance.csproj")
CORELIB = "System.Private.CoreLib"


# --------------------------------------------------------------------------------------------
# ELF sections
# --------------------------------------------------------------------------------------------

def elf_sections(path):
    """[(name, file_bytes)] for the sections that occupy bytes in the file, plus the file size."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"{path}: not a 64-bit ELF file")
    end = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, stype, _flags, _addr, off, size = struct.unpack_from(end + "IIQQQQ", data, shoff + i * shentsize)
        headers.append((name, stype, off, size))
    strtab_off = headers[shstrndx][2]

    def sname(n):
        e = data.index(b"\0", strtab_off + n)
        return data[strtab_off + n:e].decode()

    result = [(sname(n), size) for (n, stype, off, size) in headers if stype != 8 and size > 0]  # 8 = NOBITS
    return result, len(data)


SECTION_GROUPS = [
    ("managed code (__managedcode, __unbox)", ("__managedcode", "__unbox")),
    ("read-only data (.rodata: dehydrated types, metadata, frozen objects, GC info, native runtime)", (".rodata",)),
    ("unwind info (.eh_frame, .eh_frame_hdr)", (".eh_frame", ".eh_frame_hdr")),
    ("managed EH/stack-trace tables (.dotnet_eh_table)", (".dotnet_eh_table",)),
    ("native runtime and libraries (.text, .plt, .init, .fini)", (".text", ".plt", ".plt.got", ".init", ".fini")),
    ("writable data (.data, .got, .data.rel.ro, ...)", (".data", ".got", ".got.plt", ".data.rel.ro", ".tdata",
                                                        ".init_array", ".fini_array", "__modules", ".dynamic")),
    ("relocations and dynamic symbols", (".rela.dyn", ".rela.plt", ".dynsym", ".dynstr", ".hash", ".gnu.hash",
                                         ".gnu.version", ".gnu.version_d", ".gnu.version_r")),
]


def section_groups(sections, file_size):
    by_name = dict(sections)
    rows, used = [], set()
    for label, names in SECTION_GROUPS:
        rows.append((label, sum(by_name.get(n, 0) for n in names)))
        used.update(names)
    rest = sum(s for n, s in sections if n not in used)
    rows.append(("other sections", rest))
    rows.append(("headers and alignment padding", file_size - sum(s for _, s in sections)))
    return rows


# --------------------------------------------------------------------------------------------
# map.xml: object nodes by kind
# --------------------------------------------------------------------------------------------

NODE_RE = re.compile(r'\s*<(\w+) Name="([^"]*)" Length="(\d+)"')


def map_kinds(path):
    sizes, counts = collections.Counter(), collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = NODE_RE.match(line)
            if m:
                sizes[m.group(1)] += int(m.group(3))
                counts[m.group(1)] += 1
    return sizes, counts


# --------------------------------------------------------------------------------------------
# mstat: a small ECMA-335 metadata reader (the ILC writes the statistics as IL of three methods)
# --------------------------------------------------------------------------------------------

# Coded indexes: (tag bits, tables); None is an unused tag.
CODED = {
    "TypeDefOrRef": (2, [0x02, 0x01, 0x1B]),
    "HasConstant": (2, [0x04, 0x08, 0x17]),
    "HasCustomAttribute": (5, [0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0A, 0x00, 0x0E, 0x17, 0x14, 0x11, 0x1A,
                               0x1B, 0x20, 0x23, 0x26, 0x27, 0x28, 0x2A, 0x2C, 0x2B]),
    "HasFieldMarshal": (1, [0x04, 0x08]),
    "HasDeclSecurity": (2, [0x02, 0x06, 0x20]),
    "MemberRefParent": (3, [0x02, 0x01, 0x1A, 0x06, 0x1B]),
    "HasSemantics": (1, [0x14, 0x17]),
    "MethodDefOrRef": (1, [0x06, 0x0A]),
    "MemberForwarded": (1, [0x04, 0x06]),
    "Implementation": (2, [0x26, 0x23, 0x27]),
    "CustomAttributeType": (3, [None, None, 0x06, 0x0A, None]),
    "ResolutionScope": (2, [0x00, 0x1A, 0x23, 0x01]),
    "TypeOrMethodDef": (1, [0x02, 0x06]),
}

# Column kinds: "u2"/"u4" fixed bytes, "s" string heap, "g" guid heap, "b" blob heap, int = table index, str = coded.
SCHEMA = {
    0x00: ("Module", ["u2", "s", "g", "g", "g"]),
    0x01: ("TypeRef", ["ResolutionScope", "s", "s"]),
    0x02: ("TypeDef", ["u4", "s", "s", "TypeDefOrRef", 0x04, 0x06]),
    0x03: ("FieldPtr", [0x04]),
    0x04: ("Field", ["u2", "s", "b"]),
    0x05: ("MethodPtr", [0x06]),
    0x06: ("MethodDef", ["u4", "u2", "u2", "s", "b", 0x08]),
    0x07: ("ParamPtr", [0x08]),
    0x08: ("Param", ["u2", "u2", "s"]),
    0x09: ("InterfaceImpl", [0x02, "TypeDefOrRef"]),
    0x0A: ("MemberRef", ["MemberRefParent", "s", "b"]),
    0x0B: ("Constant", ["u2", "HasConstant", "b"]),
    0x0C: ("CustomAttribute", ["HasCustomAttribute", "CustomAttributeType", "b"]),
    0x0D: ("FieldMarshal", ["HasFieldMarshal", "b"]),
    0x0E: ("DeclSecurity", ["u2", "HasDeclSecurity", "b"]),
    0x0F: ("ClassLayout", ["u2", "u4", 0x02]),
    0x10: ("FieldLayout", ["u4", 0x04]),
    0x11: ("StandAloneSig", ["b"]),
    0x12: ("EventMap", [0x02, 0x14]),
    0x13: ("EventPtr", [0x14]),
    0x14: ("Event", ["u2", "s", "TypeDefOrRef"]),
    0x15: ("PropertyMap", [0x02, 0x17]),
    0x16: ("PropertyPtr", [0x17]),
    0x17: ("Property", ["u2", "s", "b"]),
    0x18: ("MethodSemantics", ["u2", 0x06, "HasSemantics"]),
    0x19: ("MethodImpl", [0x02, "MethodDefOrRef", "MethodDefOrRef"]),
    0x1A: ("ModuleRef", ["s"]),
    0x1B: ("TypeSpec", ["b"]),
    0x1C: ("ImplMap", ["u2", "MemberForwarded", "s", 0x1A]),
    0x1D: ("FieldRVA", ["u4", 0x04]),
    0x1E: ("EncLog", ["u4", "u4"]),
    0x1F: ("EncMap", ["u4"]),
    0x20: ("Assembly", ["u4", "u2", "u2", "u2", "u2", "u4", "b", "s", "s"]),
    0x21: ("AssemblyProcessor", ["u4"]),
    0x22: ("AssemblyOS", ["u4", "u4", "u4"]),
    0x23: ("AssemblyRef", ["u2", "u2", "u2", "u2", "u4", "b", "s", "s", "b"]),
    0x24: ("AssemblyRefProcessor", ["u4", 0x23]),
    0x25: ("AssemblyRefOS", ["u4", "u4", "u4", 0x23]),
    0x26: ("File", ["u4", "s", "b"]),
    0x27: ("ExportedType", ["u4", "u4", "s", "s", "Implementation"]),
    0x28: ("ManifestResource", ["u4", "u4", "s", "Implementation"]),
    0x29: ("NestedClass", [0x02, 0x02]),
    0x2A: ("GenericParam", ["u2", "u2", "TypeOrMethodDef", "s"]),
    0x2B: ("MethodSpec", ["MethodDefOrRef", "b"]),
    0x2C: ("GenericParamConstraint", [0x2A, "TypeDefOrRef"]),
}

PRIMITIVES = {0x01: "Void", 0x02: "Boolean", 0x03: "Char", 0x04: "SByte", 0x05: "Byte", 0x06: "Int16",
              0x07: "UInt16", 0x08: "Int32", 0x09: "UInt32", 0x0A: "Int64", 0x0B: "UInt64", 0x0C: "Single",
              0x0D: "Double", 0x0E: "String", 0x16: "TypedReference", 0x18: "IntPtr", 0x19: "UIntPtr",
              0x1C: "Object"}


class Entity:
    """What a token stands for: the assembly and namespace it counts for, and a display name."""
    __slots__ = ("assembly", "namespace", "name")

    def __init__(self, assembly, namespace, name):
        self.assembly, self.namespace, self.name = assembly, namespace, name


class Metadata:
    def __init__(self, data):
        self.data = data
        self._read_pe()
        self._read_root()
        self._read_tables()
        self._cache = {}

    # --- PE and metadata root
    def _read_pe(self):
        d = self.data
        pe, = struct.unpack_from("<I", d, 0x3C)
        if d[pe:pe + 4] != b"PE\0\0":
            raise SystemExit("mstat: not a PE file")
        nsec, = struct.unpack_from("<H", d, pe + 6)
        opt_size, = struct.unpack_from("<H", d, pe + 20)
        opt = pe + 24
        magic, = struct.unpack_from("<H", d, opt)
        dirs = opt + (96 if magic == 0x10B else 112)
        self.sections = []
        for i in range(nsec):
            s = opt + opt_size + i * 40
            vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", d, s + 8)
            self.sections.append((va, max(vsize, rawsize), rawptr))
        cli_rva, = struct.unpack_from("<I", d, dirs + 14 * 8)
        cli = self.rva(cli_rva)
        md_rva, = struct.unpack_from("<I", d, cli + 8)
        self.md = self.rva(md_rva)

    def rva(self, rva):
        for va, size, raw in self.sections:
            if va <= rva < va + size:
                return rva - va + raw
        raise ValueError(f"RVA {rva:#x} outside every section")

    def _read_root(self):
        d, md = self.data, self.md
        if struct.unpack_from("<I", d, md)[0] != 0x424A5342:
            raise SystemExit("mstat: no metadata")
        vlen, = struct.unpack_from("<I", d, md + 12)
        p = md + 16 + vlen
        nstreams, = struct.unpack_from("<H", d, p + 2)
        p += 4
        self.streams = {}
        for _ in range(nstreams):
            off, size = struct.unpack_from("<II", d, p)
            e = d.index(b"\0", p + 8)
            name = d[p + 8:e].decode()
            p = (e + 4) & ~3
            self.streams[name] = (md + off, size)

    def _read_tables(self):
        d = self.data
        t, _ = self.streams["#~"]
        heap_sizes = d[t + 6]
        valid, = struct.unpack_from("<Q", d, t + 8)
        p = t + 24
        self.rows = {}
        for i in range(64):
            if valid >> i & 1:
                self.rows[i], = struct.unpack_from("<I", d, p)
                p += 4
        self.str_size = 4 if heap_sizes & 1 else 2
        self.guid_size = 4 if heap_sizes & 2 else 2
        self.blob_size = 4 if heap_sizes & 4 else 2

        def col_size(kind):
            if kind in ("u2", "u4"):
                return int(kind[1])
            if kind == "s":
                return self.str_size
            if kind == "g":
                return self.guid_size
            if kind == "b":
                return self.blob_size
            if isinstance(kind, int):
                return 2 if self.rows.get(kind, 0) < 1 << 16 else 4
            bits, tables = CODED[kind]
            most = max(self.rows.get(x, 0) for x in tables if x is not None)
            return 2 if most < 1 << (16 - bits) else 4

        self.tables = {}
        for i in sorted(self.rows):
            if i not in SCHEMA:
                raise SystemExit(f"mstat: metadata table {i:#x} not understood")
            cols = SCHEMA[i][1]
            sizes = [col_size(c) for c in cols]
            self.tables[i] = (p, sum(sizes), cols, sizes)
            p += self.rows[i] * sum(sizes)

    def row(self, table, index):
        """Row index (1-based) of a table as a list of raw column values (coded indexes as (table, row))."""
        start, width, cols, sizes = self.tables[table]
        p = start + (index - 1) * width
        out = []
        for c, s in zip(cols, sizes):
            v = struct.unpack_from("<H" if s == 2 else "<I", self.data, p)[0]
            p += s
            if isinstance(c, str) and c in CODED:
                bits, tables = CODED[c]
                v = (tables[v & ((1 << bits) - 1)], v >> bits)
            out.append(v)
        return out

    def string(self, off):
        base, _ = self.streams["#Strings"]
        e = self.data.index(b"\0", base + off)
        return self.data[base + off:e].decode("utf-8")

    @staticmethod
    def compressed(d, p):
        b = d[p]
        if b & 0x80 == 0:
            return b, p + 1
        if b & 0xC0 == 0x80:
            return ((b & 0x3F) << 8) | d[p + 1], p + 2
        return ((b & 0x1F) << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3], p + 4

    def blob(self, off):
        base, _ = self.streams["#Blob"]
        n, p = self.compressed(self.data, base + off)
        return self.data[p:p + n]

    def user_string(self, off):
        base, _ = self.streams["#US"]
        n, p = self.compressed(self.data, base + off)
        return self.data[p:p + n - 1].decode("utf-16-le", errors="replace")

    # --- what a token stands for
    def entity(self, table, index):
        key = (table, index)
        e = self._cache.get(key)
        if e is None:
            e = self._cache[key] = self._entity(table, index)
        return e

    def _entity(self, table, index):
        if table == 0x01:  # TypeRef
            scope, name, ns = self.row(0x01, index)
            name, ns = self.string(name), self.string(ns)
            if scope[0] == 0x01:  # nested in another TypeRef
                outer = self.entity(*scope)
                return Entity(outer.assembly, outer.namespace, outer.name + "+" + name)
            if scope[0] == 0x23:  # AssemblyRef
                asm = self.string(self.row(0x23, scope[1])[6])
            else:
                asm = "(this module)"
            return Entity(asm, ns, (ns + "." if ns else "") + name)
        if table == 0x02:  # TypeDef (made by the compiler itself)
            _, name, ns, _, _, _ = self.row(0x02, index)
            name, ns = self.string(name), self.string(ns)
            return Entity("(compiler-generated)", ns, (ns + "." if ns else "") + name)
        if table == 0x1B:  # TypeSpec
            sig = self.blob(self.row(0x1B, index)[0])
            e, _ = self.sig_type(sig, 0)
            return e
        if table == 0x0A:  # MemberRef
            parent, name, _ = self.row(0x0A, index)
            owner = self.entity(*parent)
            return Entity(owner.assembly, owner.namespace, owner.name + "." + self.string(name))
        if table == 0x2B:  # MethodSpec
            method, inst = self.row(0x2B, index)
            m = self.entity(*method)
            sig = self.blob(inst)
            count, p = self.compressed(sig, 1)  # sig[0] = 0x0A GENERICINST
            args = []
            for _ in range(count):
                a, p = self.sig_type(sig, p)
                args.append(a.name)
            return Entity(m.assembly, m.namespace, m.name + "<" + ",".join(args) + ">")
        if table == 0x06:  # MethodDef: on a compiler-generated type
            name = self.string(self.row(0x06, index)[3])
            return Entity("(compiler-generated)", "", name)
        if table == 0x1A:  # ModuleRef
            return Entity("(module " + self.string(self.row(0x1A, index)[0]) + ")", "", "")
        return Entity("(unknown)", "", f"token {table:#x}:{index}")

    def type_def_or_ref(self, coded):
        return self.entity([0x02, 0x01, 0x1B][coded & 3], coded >> 2)

    def sig_type(self, s, p):
        """Decodes one type in a signature blob; returns (Entity, next position)."""
        b = s[p]
        p += 1
        if b in PRIMITIVES:
            return Entity(CORELIB, "System", PRIMITIVES[b]), p
        if b in (0x0F, 0x10):  # PTR, BYREF
            e, p = self.sig_type(s, p)
            return Entity(e.assembly, e.namespace, e.name + ("*" if b == 0x0F else "&")), p
        if b in (0x11, 0x12):  # VALUETYPE, CLASS
            c, p = self.compressed(s, p)
            return self.type_def_or_ref(c), p
        if b in (0x13, 0x1E):  # VAR, MVAR
            n, p = self.compressed(s, p)
            return Entity("(generic parameter)", "", ("!" if b == 0x13 else "!!") + str(n)), p
        if b == 0x14:  # ARRAY
            e, p = self.sig_type(s, p)
            rank, p = self.compressed(s, p)
            for _ in range(2):  # sizes, then lower bounds
                n, p = self.compressed(s, p)
                for _ in range(n):
                    _, p = self.compressed(s, p)
            return Entity(e.assembly, e.namespace, e.name + "[" + "," * (rank - 1) + "]"), p
        if b == 0x15:  # GENERICINST
            p += 1  # CLASS or VALUETYPE
            c, p = self.compressed(s, p)
            g = self.type_def_or_ref(c)
            n, p = self.compressed(s, p)
            args = []
            for _ in range(n):
                a, p = self.sig_type(s, p)
                args.append(a.name)
            return Entity(g.assembly, g.namespace, g.name + "<" + ",".join(args) + ">"), p
        if b == 0x1B:  # FNPTR
            conv = s[p]
            p += 1
            if conv & 0x10:
                _, p = self.compressed(s, p)
            n, p = self.compressed(s, p)
            for _ in range(n + 1):
                _, p = self.sig_type(s, p)
            return Entity(CORELIB, "System", "fnptr"), p
        if b == 0x1D:  # SZARRAY
            e, p = self.sig_type(s, p)
            return Entity(e.assembly, e.namespace, e.name + "[]"), p
        if b in (0x1F, 0x20):  # CMOD_REQD, CMOD_OPT
            _, p = self.compressed(s, p)
            return self.sig_type(s, p)
        if b in (0x41, 0x45):  # SENTINEL, PINNED
            return self.sig_type(s, p)
        raise ValueError(f"signature element {b:#x} not understood")

    # --- the three global methods
    def global_method_il(self, name):
        start, width, _, _ = self.tables[0x06]
        for i in range(1, self.rows[0x06] + 1):
            rva, _, _, n, _, _ = self.row(0x06, i)
            if self.string(n) == name:
                p = self.rva(rva)
                h = self.data[p]
                if h & 3 == 2:  # tiny header
                    return self.data[p + 1:p + 1 + (h >> 2)]
                flags, = struct.unpack_from("<H", self.data, p)
                code_size, = struct.unpack_from("<I", self.data, p + 4)
                q = p + (flags >> 12) * 4
                return self.data[q:q + code_size]
        return b""

    @staticmethod
    def il_operands(il):
        """The operands of ldtoken/ldstr ("tok", token) and ldc.i4 ("int", value), in order."""
        p, out = 0, []
        while p < len(il):
            op = il[p]
            p += 1
            if op in (0xD0, 0x72):
                out.append(("tok", struct.unpack_from("<I", il, p)[0]))
                p += 4
            elif op == 0x20:
                out.append(("int", struct.unpack_from("<i", il, p)[0]))
                p += 4
            elif op == 0x1F:
                out.append(("int", struct.unpack_from("<b", il, p)[0]))
                p += 1
            elif 0x15 <= op <= 0x1E:
                out.append(("int", op - 0x16))
            elif op in (0x2A, 0x00):  # ret, nop
                pass
            else:
                raise ValueError(f"mstat: IL opcode {op:#x} not understood")
        return out

    def version(self):
        major = self.row(0x20, 1)[1] if self.rows.get(0x20) else 1
        return major


def read_mstat(path):
    """(methods, types, blobs): methods [(Entity, code, gcinfo, ehinfo)], types [(Entity, size)], blobs {name: size}."""
    with open(path, "rb") as f:
        md = Metadata(f.read())
    v2 = md.version() >= 2
    methods, types, blobs = [], [], {}

    def groups(ops, n):
        for i in range(0, len(ops), n):
            yield ops[i:i + n]

    ops = md.il_operands(md.global_method_il("Methods"))
    for g in groups(ops, 5 if v2 else 4):
        tok = g[0][1]
        methods.append((md.entity(tok >> 24, tok & 0xFFFFFF), g[1][1], g[2][1], g[3][1]))
    ops = md.il_operands(md.global_method_il("Types"))
    for g in groups(ops, 3 if v2 else 2):
        tok = g[0][1]
        types.append((md.entity(tok >> 24, tok & 0xFFFFFF), g[1][1]))
    ops = md.il_operands(md.global_method_il("Blobs"))
    for g in groups(ops, 2):
        name = md.user_string(g[0][1] & 0xFFFFFF)
        blobs[name] = blobs.get(name, 0) + g[1][1]
    return methods, types, blobs


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

# Map node kinds stored dehydrated (in the .hydrated section at run time, compressed in the file).
HYDRATED_KINDS = ("ConstructedEEType", "EEType", "CanonicalDefinitionEEType", "MetadataEEType",
                  "ReflectionVisibleGenericDefinitionEEType", "ReflectionInvisibleGenericDefinitionEEType",
                  "GCStaticEEType", "TypeGenericDictionary", "MethodGenericDictionary", "SealedVTable",
                  "InterfaceDispatchMap", "GenericComposition", "GenericVariance", "WritableData",
                  "FatFunctionPointer", "InterfaceDispatchCellSection", "ExternalReferencesTable")


def load(folder):
    d = {"folder": folder}
    binary = os.path.join(folder, "appliance")
    if os.path.exists(binary):
        d["sections"], d["size"] = elf_sections(binary)
    if os.path.exists(os.path.join(folder, "appliance.map.xml")):
        d["kinds"] = map_kinds(os.path.join(folder, "appliance.map.xml"))
    if os.path.exists(os.path.join(folder, "appliance.mstat")):
        d["mstat"] = read_mstat(os.path.join(folder, "appliance.mstat"))
    return d


def dehydration_ratio(d):
    """File bytes per in-memory byte of the dehydrated type structures (1.0 when unknown)."""
    if "kinds" not in d:
        return 1.0
    sizes, _ = d["kinds"]
    hydrated = sum(sizes.get(k, 0) for k in HYDRATED_KINDS)
    dehydrated = sizes.get("DehydratedData", 0)
    return dehydrated / hydrated if hydrated and dehydrated else 1.0


def fmt(n):
    return f"{n:>12,}"


def delta(n, base):
    if base is None:
        return ""
    return f" {n - base:>+12,}"


def print_table(title, rows, base_rows=None, top=None, header="bytes"):
    """rows: [(label, value)]; base_rows: {label: value} for the change column."""
    print()
    print(title)
    print("-" * len(title))
    print(f"{header:>12}" + (f" {'change':>12}" if base_rows is not None else "") + "  what")
    shown = rows if top is None else rows[:top]
    for label, v in shown:
        b = None if base_rows is None else base_rows.get(label, 0)
        print(fmt(v) + delta(v, b) + "  " + label)
    if top is not None and len(rows) > top:
        rest = sum(v for _, v in rows[top:])
        b = None
        if base_rows is not None:
            shown_labels = {l for l, _ in shown}
            b = sum(v for l, v in base_rows.items() if l not in shown_labels)
        print(fmt(rest) + delta(rest, b) + f"  ({len(rows) - top} more)")
    if base_rows is not None:
        # what the baseline had and this one has not at all, when it is big enough to matter
        gone = [(l, v) for l, v in base_rows.items() if l not in dict(rows) and v >= 1000]
        gone.sort(key=lambda x: -x[1])
        for label, v in gone[: (top or len(gone))]:
            print(fmt(0) + delta(0, v) + "  " + label + "  (gone)")
    total = sum(v for _, v in rows)
    btotal = None if base_rows is None else sum(base_rows.values())
    print(fmt(total) + delta(total, btotal) + "  total")


def managed_rows(d, key):
    """Estimated file bytes per key(Entity) = code + GC info + EH info + type structures x ratio."""
    methods, types, _ = d["mstat"]
    ratio = dehydration_ratio(d)
    acc = collections.Counter()
    for e, code, gc, eh in methods:
        acc[key(e)] += code + gc + eh
    for e, size in types:
        acc[key(e)] += round(size * ratio)
    return sorted(acc.items(), key=lambda x: -x[1])


def namespace_key(e):
    return f"{e.namespace or '(no namespace)'}  [{e.assembly}]"


def report(d, base=None, top=25):
    if "size" in d:
        print(f"{os.path.join(d['folder'], 'appliance')}: {d['size']:,} bytes ({d['size'] / 1048576:.2f} MiB)"
              + (f", {d['size'] - base['size']:+,} against {base['folder']}" if base and "size" in base else ""))
        rows = section_groups(d["sections"], d["size"])
        brows = dict(section_groups(base["sections"], base["size"])) if base and "size" in base else None
        print_table("ELF file by section group", rows, brows)
        print_table("ELF sections", sorted(d["sections"], key=lambda x: -x[1]),
                    dict(base["sections"]) if brows is not None else None, top=12)
    if "kinds" in d:
        sizes, counts = d["kinds"]
        rows = sorted(sizes.items(), key=lambda x: -x[1])
        brows = dict(base["kinds"][0]) if base and "kinds" in base else None
        print_table("ILC object nodes by kind (map.xml; type structures at their in-memory size)", rows, brows,
                    top=15)
        print(f"dehydration ratio of the type structures: {dehydration_ratio(d):.3f} file bytes per byte")
    if "mstat" in d:
        methods, types, blobs = d["mstat"]
        b = base if base and "mstat" in base else None
        code = sum(c for _, c, _, _ in methods)
        gc = sum(g for _, _, g, _ in methods)
        eh = sum(e for _, _, _, e in methods)
        tsz = sum(s for _, s in types)
        print()
        print(f"mstat: {len(methods):,} methods: code {code:,}, GC info {gc:,}, EH info {eh:,}; "
              f"{len(types):,} types: {tsz:,} in memory (~{round(tsz * dehydration_ratio(d)):,} in the file); "
              f"{len(blobs):,} data blobs: {sum(blobs.values()):,}")
        print_table("Managed code and types by assembly (file est.: code + GC + EH + types x ratio)",
                    managed_rows(d, lambda e: e.assembly),
                    dict(managed_rows(b, lambda e: e.assembly)) if b else None, top=top)
        print_table("Managed code and types by namespace",
                    managed_rows(d, namespace_key),
                    dict(managed_rows(b, namespace_key)) if b else None, top=top)
        if b:
            now, before = dict(managed_rows(d, namespace_key)), dict(managed_rows(b, namespace_key))
            changes = [(k, now.get(k, 0) - before.get(k, 0)) for k in set(now) | set(before)]
            changes.sort(key=lambda x: -abs(x[1]))
            print()
            title = f"Largest changes by namespace against {b['folder']}"
            print(title)
            print("-" * len(title))
            print(f"{'change':>12} {'now':>12}  what")
            for k, c in changes[:top]:
                print(f"{c:>+12,} {now.get(k, 0):>12,}  {k}")
        rows = sorted(blobs.items(), key=lambda x: -x[1])
        print_table("Largest data blobs (mstat)", rows, dict(b["mstat"][2]) if b else None, top=12)
        biggest = sorted(((e.name + "  [" + e.assembly + "]", c + g + h) for e, c, g, h in methods),
                         key=lambda x: -x[1])
        print_table("Largest methods (code + GC + EH)", biggest, None, top=top)


def publish(rid, out, extra):
    """dotnet publish as build.ps1 does, with the ILC statistics; copies the results into out."""
    os.makedirs(out, exist_ok=True)
    cross = []
    if rid == "linux-arm64":
        cross = ["-p:CppCompilerAndLinker=clang", "-p:SysRoot=/", "-p:LinkerFlavor=lld",
                 "-p:ObjCopyName=llvm-objcopy-14"]
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "unknown"
    bin_out = os.path.join(out, "bin")
    cmd = ["dotnet", "publish", PROJECT, "-c", "Release", "-r", rid, "-o", bin_out, "-tl:off",
           f"-p:SourceRevisionId={rev}", "-p:IlcGenerateMstatFile=true", "-p:IlcGenerateMapFile=true"] + cross + extra
    print("> " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(proc.stdout[-4000:])
    warnings = sorted({l.strip() for l in proc.stdout.splitlines() if " warning " in l})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"publish failed with exit code {proc.returncode}")
    if warnings:
        print("\n".join(warnings))
        raise SystemExit(f"publish produced {len(warnings)} warning(s)")
    native = os.path.join(ROOT, "src", "Appliance", "obj", "Release", "net10.0", rid, "native")
    shutil.copy2(os.path.join(bin_out, "appliance"), os.path.join(out, "appliance"))
    for name in ("appliance.mstat", "appliance.map.xml"):
        shutil.copy2(os.path.join(native, name), os.path.join(out, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("publish", help="publish with the ILC statistics into a folder, then report")
    p.add_argument("rid", choices=["linux-x64", "linux-arm64"])
    p.add_argument("folder")
    p.add_argument("--baseline", help="a folder from an earlier publish to compare with")
    p.add_argument("--top", type=int, default=25)
    r = sub.add_parser("report", help="report on a folder made by publish")
    r.add_argument("folder")
    r.add_argument("--baseline", help="a folder from an earlier publish to compare with")
    r.add_argument("--top", type=int, default=25)
    args, extra = ap.parse_known_args()
    if args.command == "report" and extra:
        ap.error("unknown arguments: " + " ".join(extra))
    if args.command == "publish":
        publish(args.rid, args.folder, extra)
    base = load(args.baseline) if args.baseline else None
    report(load(args.folder), base, args.top)


if __name__ == "__main__":
    main()
