/* Page text in Chinese and English (docs/resolver.md). */
'use strict';
window.SY_TEXT = {
  zh: {
    title: '产品溯源', skip: '跳到时间线',
    lookupLabel: '输入产品码（GTIN 与序列号、数字链接或 EPC）', lookupGo: '查询',
    brand: '品牌方', model: '型号', lot: '批号', serial: '序列号', gtin: '商品条码 (GTIN)',
    produced: '生产日期', code: '追溯码', orgs: '参与机构', timeline: '产品历程',
    verifyTitle: '链上验证',
    verifyIntro: '本页在您的浏览器中重新计算每条记录的哈希、默克尔证明、区块哈希和节点签名，无需信任网页服务器。',
    verifyAgain: '重新验证', verifyDetails: '验证详情', chain: '链', nodes: '记账节点',
    footer: '溯源 · 基于区块链的产品追溯',
    unnamed: '未命名产品', loading: '正在加载…', notFound: '链上没有该产品的记录。',
    badId: '这不是有效的产品码：', netError: '无法连接到追溯服务，请稍后再试。',
    noId: '请扫描产品标签上的二维码，或在下方输入产品码。',
    inspPass: '检验合格', inspFail: '检验不合格', inspOther: '检验结果：', inspNone: '尚无检验记录',
    inspAt: '检验时间',
    vPending: '正在验证…', vPass: '验证通过：全部 {n} 条记录都在链上，且由登记的节点签名确认。',
    vFail: '验证失败：{k} 条记录与链上数据不符或无法证明。请勿轻信本页内容。',
    vUnsupported: '本浏览器不支持 Ed25519 验证，无法完成验证。',
    evPass: '✓ 已验证', evFail: '✗ 验证失败', evWait: '… 验证中',
    tel: '电话', sms: '短信', web: '网站', brandOwner: '品牌方',
    phase_origin: '原料与产地', phase_processing: '加工生产', phase_inspection: '质量检验',
    phase_distribution: '物流配送', phase_retail: '零售', phase_other: '其他记录',
    recordedBy: '记录人', at: '地点', readPoint: '读取点', items: '标识', quantity: '数量',
    materialOf: '原料', containerOf: '包装/托盘',
    chk_txid: '交易哈希与原始数据一致', chk_sig: '交易签名有效（记录人的密钥）',
    chk_event: '显示的事件与签名数据逐字段一致', chk_merkle: '默克尔证明连到区块的交易根',
    chk_block: '区块头哈希一致', chk_att: '区块由登记节点签名确认',
    chk_summary: '产品摘要与已验证的事件一致',
    noEvidence: '服务器未提供证明数据',
    bizStep: {
      commissioning: '赋码投产', receiving: '收货', shipping: '发货', inspecting: '检验',
      transforming: '加工', packing: '包装', unpacking: '拆包', storing: '入库存储',
      retail_selling: '零售销售', transporting: '运输', loading: '装货', unloading: '卸货',
      departing: '出发', arriving: '到达', accepting: '验收', harvesting: '采摘',
      sampling: '抽样', stocking: '上架', picking: '拣货', holding: '暂扣', destroying: '销毁',
      creating_class_instance: '生产', encoding: '编码', repairing: '维修', recalling: '召回'
    },
    disposition: {
      conformant: '合格', non_conformant: '不合格', in_transit: '运输中', in_progress: '进行中',
      active: '已激活', sellable_accessible: '可售', sellable_not_accessible: '可售（库存）',
      retail_sold: '已售出', recalled: '已召回', damaged: '损坏', destroyed: '已销毁',
      needs_replacement: '需更换', expired: '已过期', available: '可用', completeness_verified: '完整性已核验'
    },
    type: {
      ObjectEvent: '对象事件', AggregationEvent: '聚合事件', TransformationEvent: '转化事件',
      TransactionEvent: '交易事件', AssociationEvent: '关联事件'
    }
  },
  en: {
    title: 'Product trace', skip: 'Skip to the timeline',
    lookupLabel: 'Enter a product code (GTIN and serial, Digital Link or EPC)', lookupGo: 'Look up',
    brand: 'Brand', model: 'Model', lot: 'Lot', serial: 'Serial number', gtin: 'GTIN',
    produced: 'Production date', code: 'Trace code', orgs: 'Organisations involved',
    timeline: "The product's life",
    verifyTitle: 'Verified on the chain',
    verifyIntro: "This page re-computes every record's hash, Merkle proof, block hash and node signatures in your browser: you do not have to trust the web server.",
    verifyAgain: 'Verify again', verifyDetails: 'Details', chain: 'Chain', nodes: 'Ledger nodes',
    footer: 'Suyuan · blockchain product traceability',
    unnamed: 'Unnamed product', loading: 'Loading…', notFound: 'There is no record of this product on the chain.',
    badId: 'This is not a valid product code: ', netError: 'The trace service cannot be reached; please try again later.',
    noId: "Scan the QR code on the product's label, or enter its code below.",
    inspPass: 'Inspection passed', inspFail: 'Inspection failed', inspOther: 'Inspection result: ',
    inspNone: 'No inspection recorded yet', inspAt: 'Inspected',
    vPending: 'Verifying…', vPass: 'Verified: all {n} records are on the chain, sealed by registered nodes.',
    vFail: 'Verification failed: {k} records do not match the chain or cannot be proven. Do not trust this page.',
    vUnsupported: 'This browser cannot check Ed25519 signatures, so the records cannot be verified.',
    evPass: '✓ verified', evFail: '✗ verification failed', evWait: '… verifying',
    tel: 'Phone', sms: 'SMS', web: 'Web', brandOwner: 'brand owner',
    phase_origin: 'Origin and materials', phase_processing: 'Processing', phase_inspection: 'Inspection',
    phase_distribution: 'Distribution', phase_retail: 'Retail', phase_other: 'Other records',
    recordedBy: 'Recorded by', at: 'At', readPoint: 'Read point', items: 'Items', quantity: 'Quantity',
    materialOf: 'material', containerOf: 'case/pallet',
    chk_txid: 'transaction hash matches its bytes', chk_sig: "transaction signature is valid (recorder's key)",
    chk_event: 'the event shown is the signed one, field by field', chk_merkle: "Merkle proof leads to the block's transaction root",
    chk_block: 'block header hash matches', chk_att: 'block sealed by a registered node',
    chk_summary: 'product summary agrees with the verified events',
    noEvidence: 'the server gave no proof for it',
    bizStep: {
      commissioning: 'Commissioned', receiving: 'Received', shipping: 'Shipped', inspecting: 'Inspected',
      transforming: 'Processed', packing: 'Packed', unpacking: 'Unpacked', storing: 'Stored',
      retail_selling: 'Sold at retail', transporting: 'Transported', loading: 'Loaded', unloading: 'Unloaded',
      departing: 'Departed', arriving: 'Arrived', accepting: 'Accepted', harvesting: 'Harvested',
      sampling: 'Sampled', stocking: 'Stocked', picking: 'Picked', holding: 'Held', destroying: 'Destroyed',
      creating_class_instance: 'Produced', encoding: 'Encoded', repairing: 'Repaired', recalling: 'Recalled'
    },
    disposition: {
      conformant: 'conformant', non_conformant: 'non-conformant', in_transit: 'in transit', in_progress: 'in progress',
      active: 'active', sellable_accessible: 'sellable', sellable_not_accessible: 'sellable (in stock)',
      retail_sold: 'sold', recalled: 'recalled', damaged: 'damaged', destroyed: 'destroyed',
      needs_replacement: 'needs replacement', expired: 'expired', available: 'available', completeness_verified: 'completeness verified'
    },
    type: {
      ObjectEvent: 'Object event', AggregationEvent: 'Aggregation event', TransformationEvent: 'Transformation event',
      TransactionEvent: 'Transaction event', AssociationEvent: 'Association event'
    }
  }
};
